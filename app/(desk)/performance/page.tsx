import { Suspense } from "react";
import { PerformanceView } from "@/components/desk/performance";
import { Loading } from "@/components/ui/kit";

export default function PerformancePage() {
  // The view keeps its venue / symbol / strategy filters in the URL (useSearchParams), which needs a Suspense boundary.
  return (
    <Suspense fallback={<Loading />}>
      <PerformanceView />
    </Suspense>
  );
}
