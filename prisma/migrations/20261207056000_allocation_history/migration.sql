-- AlterTable: the allocation's target and current weights beside each recorded portfolio risk point.
ALTER TABLE "portfolio_risk_points" ADD COLUMN "targets" TEXT;
ALTER TABLE "portfolio_risk_points" ADD COLUMN "current" TEXT;
