import type { Metadata } from "next";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { SESSION_COOKIE } from "@/server/auth/cookies";
import { resolveSession } from "@/server/auth/sessions";
import { SignInForm } from "./signin-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in — Bastion" };

export default async function SignInPage() {
  // Already signed in: nothing to do here.
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  if (token && (await resolveSession(token))) redirect("/");
  return (
    <main className="signin">
      <div className="signin-card">
        <div className="brand signin-brand">BASTION</div>
        <h1>Sign in</h1>
        <SignInForm />
      </div>
    </main>
  );
}
