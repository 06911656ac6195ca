import { describe, expect, it } from "vitest";
import { covarianceProblem, eigenvalueBound, quadForm, solveLinear } from "./linalg";

describe("solveLinear", () => {
  it("solves a system that needs pivoting", () => {
    // 0·x + 2y = 4, 3x + y = 5 → y = 2, x = 1
    const x = solveLinear(
      [
        [0, 2],
        [3, 1],
      ],
      [4, 5],
    )!;
    expect(x[0]).toBeCloseTo(1, 14);
    expect(x[1]).toBeCloseTo(2, 14);
  });

  it.each([
    [
      "a singular matrix",
      [
        [1, 2],
        [2, 4],
      ],
      [1, 2],
    ],
    [
      "a zero matrix",
      [
        [0, 0],
        [0, 0],
      ],
      [0, 0],
    ],
  ])("returns null for %s", (_label, a, b) => {
    expect(solveLinear(a, b)).toBeNull();
  });
});

describe("covarianceProblem", () => {
  it.each<[string, number[][], number, string | null]>([
    [
      "a good matrix",
      [
        [1, 0.5],
        [0.5, 2],
      ],
      2,
      null,
    ],
    ["the wrong size", [[1]], 2, "The covariance matrix has 1 rows for 2 symbols."],
    ["a short row", [[1, 0], [0]], 2, "Row 1 of the covariance matrix has 1 entries, not 2."],
    [
      "a NaN",
      [
        [1, NaN],
        [NaN, 1],
      ],
      2,
      "Covariance entry [0][1] is not a finite number (NaN).",
    ],
    [
      "a negative variance",
      [
        [-1, 0],
        [0, 1],
      ],
      2,
      "The variance of symbol 0 is negative (-1).",
    ],
    [
      "an asymmetric matrix",
      [
        [1, 0.5],
        [0.4, 1],
      ],
      2,
      "The covariance matrix is not symmetric at [0][1] (0.5 vs 0.4).",
    ],
  ])("%s", (_label, matrix, n, problem) => {
    expect(covarianceProblem(matrix, n)).toBe(problem);
  });
});

describe("eigenvalueBound and quadForm", () => {
  it("bounds the largest eigenvalue from above (Gershgorin)", () => {
    // Eigenvalues of [[2, 1], [1, 2]] are 1 and 3; the row sums are 3.
    expect(
      eigenvalueBound([
        [2, 1],
        [1, 2],
      ]),
    ).toBe(3);
    expect(
      quadForm(
        [
          [2, 1],
          [1, 2],
        ],
        [1, -1],
      ),
    ).toBe(2);
  });
});
