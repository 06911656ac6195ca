"use client";
/**
 * Admin edit forms for the risk page: a dialog with labelled fields that shows the server's refusal in plain words,
 * next to the field it concerns (tRPC `zodError.fieldErrors`) and as a sentence at the bottom.
 */
import { TRPCClientError } from "@trpc/client";
import { useRef, useState, type ReactNode } from "react";
import { errorMessage } from "../trpc/client";

export type FieldKind = "int" | "number" | "decimal" | "bool" | "select";

export interface FieldSpec {
  key: string;
  label: string;
  kind: FieldKind;
  hint?: string;
  options?: readonly string[];
  /** What an empty box means: leave the setting out (no limit), null (disabled), or a number. */
  empty?: "omit" | "null" | number;
}

export type FormValues = Record<string, string | boolean>;

/** A form value from a setting's value. */
export function toFormValue(spec: FieldSpec, value: unknown): string | boolean {
  if (spec.kind === "bool") return value === true;
  if (value === null || value === undefined) return "";
  return scalarText(value);
}

/** A setting's value as text: strings as they are, numbers and booleans in JS notation, anything else as JSON. */
export function scalarText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value) ?? "";
}

/** A setting's value from a form value; undefined = leave it out. */
export function fromFormValue(spec: FieldSpec, raw: string | boolean | undefined): unknown {
  if (spec.kind === "bool") return raw === true;
  const text = typeof raw === "string" ? raw.trim() : "";
  if (spec.kind === "select") return text;
  if (text === "") return spec.empty === "null" ? null : typeof spec.empty === "number" ? spec.empty : undefined;
  if (spec.kind === "decimal") return text;
  // "abc" becomes NaN and the server says "must be a finite number (got NaN)".
  return Number(text);
}

export function collect(specs: readonly FieldSpec[], values: FormValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    const v = fromFormValue(spec, values[spec.key]);
    if (v !== undefined) out[spec.key] = v;
  }
  return out;
}

/** Field problems from a refused request, keyed by field path ("maxOpenPositions", "settings.minConfidence"). */
export function fieldErrorsOf(error: unknown): Record<string, string[]> {
  if (!(error instanceof TRPCClientError)) return {};
  const data = (error as TRPCClientError<never>).data as
    { zodError?: { fieldErrors?: Record<string, string[]> } | null; details?: { field?: string } | null } | undefined;
  const fields = { ...(data?.zodError?.fieldErrors ?? {}) };
  if (data?.details?.field) fields[data.details.field] = [error.message];
  return fields;
}

/** A field's hint and its errors under it, with the ids its `aria-describedby` names. */
function FieldNotes({ id, hint, errors }: { id: string; hint: string | undefined; errors: string[] | undefined }) {
  return (
    <>
      {hint ? (
        <small id={`${id}-hint`} className="muted">
          {hint}
        </small>
      ) : null}
      {errors?.length ? (
        <small id={`${id}-err`} className="error" role="alert">
          {errors.join(" ")}
        </small>
      ) : null}
    </>
  );
}

export function Field({
  spec,
  value,
  onChange,
  errors,
  prefix = "",
}: {
  spec: FieldSpec;
  value: string | boolean | undefined;
  onChange: (v: string | boolean) => void;
  errors?: string[];
  prefix?: string;
}) {
  const id = `f-${prefix}${spec.key}`.replace(/[^A-Za-z0-9_-]/g, "-");
  const describedBy = [spec.hint ? `${id}-hint` : null, errors?.length ? `${id}-err` : null].filter(Boolean).join(" ") || undefined;
  if (spec.kind === "bool") {
    return (
      <div className="risk-field">
        <label className="check" htmlFor={id}>
          <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} aria-describedby={describedBy} /> {spec.label}
        </label>
        <FieldNotes id={id} hint={spec.hint} errors={errors} />
      </div>
    );
  }
  return (
    <div className="risk-field">
      <label htmlFor={id}>{spec.label}</label>
      {spec.kind === "select" ? (
        <select
          id={id}
          className="input"
          value={typeof value === "string" ? value : ""}
          onChange={(e) => onChange(e.target.value)}
          aria-describedby={describedBy}
        >
          {spec.options?.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          className="input"
          inputMode={spec.kind === "int" ? "numeric" : "decimal"}
          value={typeof value === "string" ? value : ""}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={errors?.length ? true : undefined}
          aria-describedby={describedBy}
          autoComplete="off"
        />
      )}
      <FieldNotes id={id} hint={spec.hint} errors={errors} />
    </div>
  );
}

/**
 * A button that opens an edit dialog. `onOpen` resets the form to the values in force; `onSave` sends it (a refusal
 * keeps the dialog open with the server's words, per field where it names one).
 */
export function EditDialog({
  label,
  ariaLabel,
  title,
  description,
  onOpen,
  onSave,
  children,
}: {
  label: string;
  ariaLabel?: string;
  title: string;
  description?: ReactNode;
  onOpen: () => void;
  onSave: () => Promise<unknown>;
  children: (fieldErrors: Record<string, string[]>) => ReactNode;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const close = () => dialog.current?.close();
  const save = async () => {
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      await onSave();
      close();
    } catch (e) {
      setError(errorMessage(e));
      setFieldErrors(fieldErrorsOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        className="btn small"
        onClick={() => {
          onOpen();
          setError(null);
          setFieldErrors({});
          dialog.current?.showModal();
        }}
        {...(ariaLabel ? { "aria-label": ariaLabel } : {})}
      >
        {label}
      </button>
      <dialog ref={dialog} className="dialog risk-dialog" aria-label={title} onClose={() => setBusy(false)}>
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <h3>{title}</h3>
          {description ? <div className="dialog-body">{description}</div> : null}
          <div className="risk-form-grid">{children(fieldErrors)}</div>
          {error ? (
            <p className="error" role="alert">
              {error}
            </p>
          ) : null}
          <div className="dialog-actions">
            <button type="button" className="btn" onClick={close} disabled={busy}>
              Cancel
            </button>
            <button type="submit" className="btn primary" disabled={busy}>
              {busy ? "Saving…" : "Save (audited)"}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
