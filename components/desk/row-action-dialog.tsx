"use client";
/**
 * One confirmation dialog shared by every row of a big table (a ConfirmAction per row would put hundreds of
 * <dialog>s in the page). The table keeps "which action on which row" in state and renders this, keyed by it:
 * it opens on mount, asks for a reason when needed, runs the action, shows the server's refusal without closing,
 * and calls onClose when dismissed or done.
 */
import { useEffect, useRef, useState, type ReactNode } from "react";
import { errorMessage } from "../trpc/client";

export interface RowActionDialogProps {
  title: string;
  description?: ReactNode;
  confirmLabel: string;
  destructive?: boolean;
  reason?: "optional" | "required";
  /** Extra fields (percent, prices …); read them in onConfirm. */
  children?: ReactNode;
  /** Throw to refuse (the message is shown); resolve to close. */
  onConfirm: (reason: string) => Promise<unknown>;
  onClose: () => void;
}

export function RowActionDialog(props: RowActionDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
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
      await props.onConfirm(reason.trim());
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
            <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} aria-label="Reason" />
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
