import { Suspense } from "react";
import { AuditView } from "@/components/desk/audit";
import { Loading } from "@/components/ui/kit";

export default function AuditPage() {
  // The view keeps its venue / symbol / strategy filters in the URL (useSearchParams), which needs a Suspense boundary.
  return (
    <Suspense fallback={<Loading />}>
      <AuditView />
    </Suspense>
  );
}
