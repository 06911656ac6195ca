import { RiskView } from "@/components/desk/risk";

export default function RiskPage() {
  return <RiskView />;
}
