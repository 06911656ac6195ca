import { OrdersView } from "@/components/desk/orders";

export default function OrdersPage() {
  return <OrdersView />;
}
