"use client";
/**
 * The desk file on the Risk page (admins): export the live settings as YAML, and import one — paste it or choose a
 * file, preview the differences field by field, confirm, apply (audited). The server checks everything again; this
 * panel only refuses what it can say at once (a file over 64 KB).
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { errorMessage, useTRPC } from "../trpc/client";
import { ConfirmAction } from "../ui/confirm-dialog";
import { Panel } from "../ui/kit";

const MAX_BYTES = 64 * 1024;

const EFFECT_WORDS = { live: "now, on apply", start: "at the next start, from the desk file", ignored: "not applied" } as const;

function download(fileName: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/yaml" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

export function DeskFilePanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [yaml, setYaml] = useState("");
  const [localError, setLocalError] = useState<string | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const [applied, setApplied] = useState<string | null>(null);
  const preview = useMutation(trpc.settings.previewDeskImport.mutationOptions());
  const apply = useMutation(trpc.settings.applyDeskImport.mutationOptions());

  const tooBig = (text: string) => new TextEncoder().encode(text).length > MAX_BYTES;
  const edit = (text: string) => {
    setYaml(text);
    preview.reset();
    setApplied(null);
    setLocalError(tooBig(text) ? `The desk file is over ${MAX_BYTES / 1024} KB; at most ${MAX_BYTES / 1024} KB is accepted.` : null);
  };

  const exportNow = async () => {
    setExportError(null);
    try {
      const file = await queryClient.fetchQuery({ ...trpc.settings.exportDesk.queryOptions(), staleTime: 0 });
      download(file.fileName, file.yaml);
    } catch (e) {
      setExportError(errorMessage(e));
    }
  };

  const result = preview.data;
  const liveRows = result?.ok ? result.liveChanges : 0;
  return (
    <Panel
      title="Desk file"
      id="desk-file"
      actions={
        <button type="button" className="btn small" onClick={() => void exportNow()}>
          Export desk file
        </button>
      }
    >
      <p className="muted risk-note">
        Export the live settings as a desk file (YAML) to keep them in config/desk.yaml, or import one: the differences are shown before anything changes.
      </p>
      {exportError ? (
        <p className="error" role="alert">
          Export failed: {exportError}
        </p>
      ) : null}
      <label className="field">
        <span>Desk file to import (YAML)</span>
        <textarea
          aria-label="Desk file to import (YAML)"
          value={yaml}
          onChange={(e) => edit(e.target.value)}
          rows={8}
          spellCheck={false}
          className="desk-file-text"
        />
      </label>
      <label className="field">
        <span>Or choose a file</span>
        <input
          type="file"
          accept=".yaml,.yml,application/yaml,text/yaml"
          aria-label="Choose a desk file to import"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (!file) return;
            if (file.size > MAX_BYTES) {
              setLocalError(`${file.name} is ${Math.ceil(file.size / 1024)} KB; at most ${MAX_BYTES / 1024} KB is accepted.`);
              return;
            }
            void file.text().then(edit, (err: unknown) => setLocalError(`${file.name} cannot be read: ${String(err)}`));
          }}
        />
      </label>
      <div className="desk-file-actions">
        <button
          type="button"
          className="btn"
          disabled={yaml.trim() === "" || localError !== null || preview.isPending}
          onClick={() => {
            setApplied(null);
            preview.mutate({ yaml });
          }}
        >
          Preview import
        </button>
      </div>
      {localError ? (
        <p className="error" role="alert">
          {localError}
        </p>
      ) : null}
      {preview.error ? (
        <p className="error" role="alert">
          {errorMessage(preview.error)}
        </p>
      ) : null}
      {result && !result.ok ? (
        <div className="error" role="alert">
          <p>The desk file is refused:</p>
          <ul>
            {result.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {result?.ok ? (
        <>
          {result.rows.length === 0 ? (
            <p role="status">No differences: the live settings already match this file.</p>
          ) : (
            <div className="desk-file-diff">
              <table className="data" aria-label="Differences between the live settings and the desk file">
                <thead>
                  <tr>
                    <th scope="col">Setting</th>
                    <th scope="col">Now</th>
                    <th scope="col">In the file</th>
                    <th scope="col">Takes effect</th>
                  </tr>
                </thead>
                <tbody>
                  {result.rows.map((row) => (
                    <tr key={row.key}>
                      <td>
                        <code>{row.key}</code>
                      </td>
                      <td>{row.current}</td>
                      <td>{row.proposed}</td>
                      <td>
                        {EFFECT_WORDS[row.effect]}
                        {row.note ? <span className="muted"> — {row.note}</span> : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {result.notActedUpon.length > 0 ? (
            <p className="muted risk-note">Kept in the file but not acted upon yet: {result.notActedUpon.join("; ")}.</p>
          ) : null}
          {liveRows > 0 ? (
            <ConfirmAction
              label={`Apply ${liveRows} change${liveRows === 1 ? "" : "s"}`}
              className="btn primary"
              title="Apply the desk file"
              confirmLabel="Apply"
              description={`${liveRows} setting${liveRows === 1 ? "" : "s"} change now, as listed; each change is recorded in the audit log. Rows marked "at the next start" change only when this file is the desk file at start.`}
              onConfirm={async (_reason, idempotencyKey) => {
                const done = await apply.mutateAsync({ yaml, idempotencyKey });
                setApplied(done.message);
                preview.reset();
                void queryClient.invalidateQueries({ queryKey: [["settings"]] });
                void queryClient.invalidateQueries({ queryKey: [["risk"]] });
                void queryClient.invalidateQueries({ queryKey: [["breaker"]] });
              }}
            />
          ) : null}
        </>
      ) : null}
      {applied ? <p role="status">{applied}</p> : null}
    </Panel>
  );
}
