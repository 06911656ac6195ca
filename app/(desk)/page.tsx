import { OverviewView } from "@/components/desk/overview";

export default function OverviewPage() {
  return <OverviewView />;
}
