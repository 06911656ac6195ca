import { TradeDetailView } from "@/components/desk/trade-detail";

export default async function TradePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  let tradeId = id;
  try {
    tradeId = decodeURIComponent(id);
  } catch {
    // Not percent-encoded: use it as it is.
  }
  return <TradeDetailView id={tradeId} />;
}
