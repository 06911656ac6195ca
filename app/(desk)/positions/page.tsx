import { PositionsView } from "@/components/desk/positions";

export default function PositionsPage() {
  return <PositionsView />;
}
