"use client";
/**
 * A destructive or consequential action: a button that opens a dialog asking for confirmation (and a reason when
 * required), runs the action, and shows the server's refusal in plain words without closing.
 */
import { useRef, useState, type ReactNode } from "react";
import { errorMessage } from "../trpc/client";

export interface ConfirmActionProps {
  /** The button's visible text. */
  label: string;
  /** Accessible name when the visible text is not enough (e.g. "Close BTC/USDT position pos-1"). */
  ariaLabel?: string;
  title: string;
  description?: ReactNode;
  confirmLabel: string;
  destructive?: boolean;
  /** Ask for a reason (kept in the audit log). "required" refuses an empty one. */
  reason?: "optional" | "required";
  /** Extra fields inside the dialog (e.g. a percentage); read them in onConfirm. */
  children?: ReactNode;
  onConfirm: (reason: string) => Promise<unknown>;
  className?: string;
  disabled?: boolean;
}

export function ConfirmAction(props: ConfirmActionProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const open = () => {
    setError(null);
    setReason("");
    dialog.current?.showModal();
  };
  const close = () => dialog.current?.close();
  const confirm = async () => {
    if (props.reason === "required" && reason.trim().length < 3) {
      setError("Give a reason (at least 3 characters): it goes to the audit log.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm(reason.trim());
      close();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button
        type="button"
        className={props.className ?? (props.destructive ? "btn danger" : "btn")}
        onClick={open}
        disabled={props.disabled}
        {...(props.ariaLabel ? { "aria-label": props.ariaLabel } : {})}
      >
        {props.label}
      </button>
      <dialog ref={dialog} className="dialog" aria-label={props.title} onClose={() => setBusy(false)}>
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
            <button type="button" className="btn" onClick={close} disabled={busy}>
              Cancel
            </button>
            <button type="submit" className={props.destructive ? "btn danger" : "btn primary"} disabled={busy}>
              {busy ? "Working…" : props.confirmLabel}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
