import { ReconciliationView } from "@/components/desk/reconciliation";

export default function ReconciliationPage() {
  return <ReconciliationView />;
}
