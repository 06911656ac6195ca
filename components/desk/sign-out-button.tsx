"use client";
import { useState } from "react";
import { errorMessage, makeTrpcClient, trpcCode } from "@/components/trpc/client";

/** Signs out and goes to /signin. An already-ended session counts as signed out. */
export function SignOutButton() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function signOut(): Promise<void> {
    setBusy(true);
    try {
      await makeTrpcClient().auth.signOut.mutate();
    } catch (err) {
      if (trpcCode(err) !== "UNAUTHORIZED") {
        setError(errorMessage(err));
        setBusy(false);
        return;
      }
    }
    window.location.assign("/signin");
  }

  return (
    <>
      {error && (
        <span className="signin-error" role="alert">
          {error}
        </span>
      )}
      <button type="button" className="signout" onClick={() => void signOut()} disabled={busy}>
        Sign out
      </button>
    </>
  );
}
