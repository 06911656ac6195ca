/** The alert center's pure core: rules that turn observations into alert signals, and the book that dedupes them. */
export * from "./rules";
export * from "./book";
