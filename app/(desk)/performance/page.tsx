import { PerformanceView } from "@/components/desk/performance";

export default function PerformancePage() {
  return <PerformanceView />;
}
