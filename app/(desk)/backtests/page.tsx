import { BacktestsView } from "@/components/desk/backtests";

export default function BacktestsPage() {
  return <BacktestsView />;
}
