import { NotificationsView } from "@/components/desk/notifications";

export default function NotificationsPage() {
  return <NotificationsView />;
}
