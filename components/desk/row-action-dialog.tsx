"use client";
/**
 * One confirmation dialog shared by every row of a big table (a ConfirmAction per row would put hundreds of
 * <dialog>s in the page): the table keeps "which action on which row" in state and renders this, keyed by it.
 */
export { ConfirmDialog as RowActionDialog, type ConfirmDialogProps as RowActionDialogProps } from "../ui/confirm-dialog";
