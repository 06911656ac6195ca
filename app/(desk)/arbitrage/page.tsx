import { ArbitrageView } from "@/components/desk/arbitrage";

export default function ArbitragePage() {
  return <ArbitrageView />;
}
