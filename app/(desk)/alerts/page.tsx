import { AlertsView } from "@/components/desk/alerts";

export default function AlertsPage() {
  return <AlertsView />;
}
