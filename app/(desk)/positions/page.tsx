import { Suspense } from "react";
import { PositionsView } from "@/components/desk/positions";
import { Loading } from "@/components/ui/kit";

export default function PositionsPage() {
  // The view keeps its venue / symbol / strategy filters in the URL (useSearchParams), which needs a Suspense boundary.
  return (
    <Suspense fallback={<Loading />}>
      <PositionsView />
    </Suspense>
  );
}
