import { OrderDetailView } from "@/components/desk/order-detail";

export default async function OrderPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  let clientOrderId = id;
  try {
    clientOrderId = decodeURIComponent(id);
  } catch {
    // Not percent-encoded: use it as it is.
  }
  return <OrderDetailView clientOrderId={clientOrderId} />;
}
