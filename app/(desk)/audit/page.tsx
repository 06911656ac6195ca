import { AuditView } from "@/components/desk/audit";

export default function AuditPage() {
  return <AuditView />;
}
