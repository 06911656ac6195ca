import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { DeskShell } from "@/components/desk/shell";
import { appConfig } from "@/server/config";
import { SESSION_COOKIE } from "@/server/auth/cookies";
import { resolveSession } from "@/server/auth/sessions";

export const dynamic = "force-dynamic";

/** Every desk page needs a session; the shell shows the mode, trading state, breaker and the controls. */
export default async function DeskLayout({ children }: { children: ReactNode }) {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  const session = token ? await resolveSession(token) : null;
  if (!session) redirect("/signin");
  return (
    <DeskShell user={{ username: session.user.username, role: session.user.role }} mode={appConfig().mode}>
      {children}
    </DeskShell>
  );
}
