"use client";
import { useState, type FormEvent } from "react";
import { domainCode, errorMessage, makeTrpcClient } from "@/components/trpc/client";

export function SignInForm() {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>): Promise<void> {
    e.preventDefault();
    if (!username.trim()) return setError("Enter your username.");
    if (!password) return setError("Enter your password.");
    setBusy(true);
    setError(null);
    try {
      await makeTrpcClient().auth.signIn.mutate({ username, password });
      window.location.assign("/"); // a full load: the server renders the desk with the new cookie
    } catch (err) {
      setError(domainCode(err) === "VALIDATION" ? "Check the username and password." : errorMessage(err));
      setPassword("");
      setBusy(false);
    }
  }

  return (
    <form className="signin-form" onSubmit={(e) => void submit(e)} noValidate>
      <label htmlFor="username">Username</label>
      <input
        id="username"
        name="username"
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
        autoFocus
        value={username}
        onChange={(e) => setUsername(e.target.value)}
      />
      <label htmlFor="password">Password</label>
      <input id="password" name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      {error && (
        <p className="signin-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="signin-submit" disabled={busy}>
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
