import { Suspense } from "react";
import { OrdersView } from "@/components/desk/orders";
import { Loading } from "@/components/ui/kit";

export default function OrdersPage() {
  // The view keeps its venue / symbol / strategy filters in the URL (useSearchParams), which needs a Suspense boundary.
  return (
    <Suspense fallback={<Loading />}>
      <OrdersView />
    </Suspense>
  );
}
