/** What a form says under its fields: the check that stopped it (an alert), then the answer of its last send. */
export function FormOutcome({ problem, result }: { problem: string | null; result: { ok: boolean; text: string } | null }) {
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
