"use client";
/**
 * Confirmation for destructive or consequential actions. `ConfirmDialog` opens on mount, asks for a reason when
 * required (it goes to the audit log), runs the action, shows the server's refusal in plain words without closing,
 * and calls onClose when dismissed or done. `ConfirmAction` is a button that mounts it. Big tables render one
 * ConfirmDialog for the row being acted on (components/desk/row-action-dialog.tsx) instead of one per row.
 */
import { useEffect, useRef, useState, type ReactNode } from "react";
import { errorMessage } from "../trpc/client";

export interface ConfirmDialogProps {
  title: string;
  description?: ReactNode;
  confirmLabel: string;
  destructive?: boolean;
  /** Ask for a reason (kept in the audit log). "required" refuses an empty one. */
  reason?: "optional" | "required";
  /** Extra fields inside the dialog (e.g. a percentage); read them in onConfirm. */
  children?: ReactNode;
  /**
   * Throw to refuse (the message is shown); resolve to close. `idempotencyKey` is made once per opening of the
   * dialog: send it with the mutation, so that confirming again after a lost answer does not act twice.
   */
  onConfirm: (reason: string, idempotencyKey: string) => Promise<unknown>;
  onClose: () => void;
}

/** 128 random bits as hex (getRandomValues works outside secure contexts too, unlike randomUUID). */
export function newIdempotencyKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function ConfirmDialog(props: ConfirmDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [idempotencyKey] = useState(newIdempotencyKey);
  const { onClose } = props;

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);

  const confirm = async () => {
    if (props.reason === "required" && reason.trim().length < 3) {
      setError("Give a reason (at least 3 characters): it goes to the audit log.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm(reason.trim(), idempotencyKey);
      dialog.current?.close();
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  return (
    <dialog ref={dialog} className="dialog" aria-label={props.title} onClose={onClose}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          void confirm();
        }}
      >
        <h3>{props.title}</h3>
        {props.description ? <div className="dialog-body">{props.description}</div> : null}
        {props.children}
        {props.reason ? (
          <label className="field">
            <span>Reason{props.reason === "required" ? "" : " (optional)"}</span>
            <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} autoFocus aria-label="Reason" />
          </label>
        ) : null}
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={() => dialog.current?.close()} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className={props.destructive ? "btn danger" : "btn primary"} disabled={busy}>
            {busy ? "Working…" : props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}

export interface ConfirmActionProps extends Omit<ConfirmDialogProps, "onClose"> {
  /** The button's visible text. */
  label: string;
  /** Accessible name when the visible text is not enough (e.g. "Close BTC/USDT position pos-1"). */
  ariaLabel?: string;
  className?: string;
  disabled?: boolean;
}

export function ConfirmAction({ label, ariaLabel, className, disabled, ...dialog }: ConfirmActionProps) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        className={className ?? (dialog.destructive ? "btn danger" : "btn")}
        onClick={() => setOpen(true)}
        disabled={disabled}
        {...(ariaLabel ? { "aria-label": ariaLabel } : {})}
      >
        {label}
      </button>
      {open ? <ConfirmDialog {...dialog} onClose={() => setOpen(false)} /> : null}
    </>
  );
}
