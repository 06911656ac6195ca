import { StrategiesView } from "@/components/desk/strategies";

export default function StrategiesPage() {
  return <StrategiesView />;
}
