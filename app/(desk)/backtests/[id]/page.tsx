import { BacktestDetailView } from "@/components/desk/backtests";

export default async function BacktestDetailPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <BacktestDetailView id={decodeURIComponent(id)} />;
}
