import { Suspense } from "react";
import { HistoryView } from "@/components/desk/history";
import { Loading } from "@/components/ui/kit";

export default function HistoryPage() {
  // The view reads its filters from the URL (useSearchParams), which needs a Suspense boundary.
  return (
    <Suspense fallback={<Loading />}>
      <HistoryView />
    </Suspense>
  );
}
