"use client";
import { useState, type FormEvent } from "react";

export type FormResult = { ok: boolean; text: string } | null;

/**
 * The order forms' two steps: submit runs the form's own check (its problem shown, nothing sent), and a form that
 * passes opens its review (the confirmation that sends); the last send's answer is kept for FormOutcome.
 */
export function useReviewedForm(check: () => string | null) {
  const [problem, setProblem] = useState<string | null>(null);
  const [result, setResult] = useState<FormResult>(null);
  const [review, setReview] = useState(false);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const found = check();
    setProblem(found);
    setResult(null);
    if (!found) setReview(true);
  };
  return { problem, result, setResult, review, closeReview: () => setReview(false), onSubmit };
}

/** What a form says under its fields: the check that stopped it (an alert), then the answer of its last send. */
export function FormOutcome({ problem, result }: { problem: string | null; result: FormResult }) {
  return (
    <>
      {problem ? (
        <p className="error" role="alert">
          {problem}
        </p>
      ) : null}
      {result ? (
        <p className={result.ok ? "po-notice" : "error"} role={result.ok ? "status" : "alert"}>
          {result.text}
        </p>
      ) : null}
    </>
  );
}
