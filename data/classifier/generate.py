# ruff: noqa: E501 -- templates read best as one line each
"""Deterministically generate templated training prompts for the local classifier.

Writes ``data/classifier/templated.jsonl`` (text, label, note). The templates and number ranges below
and the word lists and phrases they draw from (``words.json`` beside this file: one list per key, named
after the constant or ``function.variable`` that uses it) were written by hand for this project; nothing
is copied from a benchmark. Hand-written examples live in ``handwritten.jsonl`` and are not touched by
this script. The templates stay code: they compute their numbers in place, and the order of those random
draws is what keeps the output the same bytes.

    python data/classifier/generate.py          # rewrite templated.jsonl (same bytes every run)
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20240611
Gen = Callable[[random.Random], str]
WORDS: dict[str, tuple[str, ...]] = {
    key: tuple(values) for key, values in json.loads((HERE / "words.json").read_text(encoding="utf-8")).items()
}

NAMES = WORDS["NAMES"]
ITEMS = WORDS["ITEMS"]
LANGS = WORDS["LANGS"]
LANGUAGES = WORDS["LANGUAGES"]
COUNTRIES = WORDS["COUNTRIES"]
COMPANIES = WORDS["COMPANIES"]
CITIES = WORDS["CITIES"]
CURRENCIES = WORDS["CURRENCIES"]


def pick(rng: random.Random, seq: tuple[str, ...] | list[str]) -> str:
    return seq[rng.randrange(len(seq))]


def maybe_lower(rng: random.Random, text: str, p: float = 0.35) -> str:
    """Voice assistants and chat users often type lower-case without punctuation."""
    if rng.random() < p:
        return text.lower().rstrip("?.!")
    return text


# ---------------------------------------------------------------------------------------------- HIGH
def high_competition(rng: random.Random) -> str:
    a, b, c = rng.randint(2, 9), rng.randint(3, 15), rng.randint(2, 30)
    n, m = rng.choice([100, 200, 500, 1000, 2023, 2024, 2025, 10**4]), rng.choice([7, 11, 13, 17, 19, 23, 37, 1000])
    k = rng.randint(3, 12)
    t = [
        f"Find the number of ordered pairs $(x,y)$ of positive integers such that $\\frac{{1}}{{x}}+\\frac{{1}}{{y}}=\\frac{{1}}{{{c * 6}}}$.",
        f"Find the remainder when $\\sum_{{k=1}}^{{{n}}} k^{{{a}}}$ is divided by ${m}$.",
        f"Let $p(x)$ be a polynomial of degree ${k}$ such that $p(j) = \\frac{{1}}{{j}}$ for $j = 1, 2, \\ldots, {k + 1}$. Find $p({k + 2})$.",
        f"How many positive integers $n \\le {n}$ satisfy $\\gcd(n, {c * 6}) = 1$ and $n \\equiv {a} \\pmod{{{b}}}$?",
        f"Let $a$, $b$, $c$ be positive reals with $a + b + c = {a}$. Find the maximum value of $ab^{{2}}c^{{{min(a, 4)}}}$.",
        f"The probability that no two adjacent coins show heads when ${b}$ fair coins are placed in a circle and flipped can be written as $\\frac{{m}}{{n}}$, where $m$ and $n$ are relatively prime positive integers. Find $m + n$.",
        f"Find the sum of all real numbers $x$ such that $\\lfloor x \\rfloor^2 - {a}\\lfloor x \\rfloor + {b} = \\{{x\\}}$, where $\\{{x\\}}$ is the fractional part of $x$.",
        f"Let $z$ be a complex number such that $|z - {a}i| = {b}$. Find the maximum possible value of $|z^2 + {c}|$.",
        f"In triangle $ABC$, $AB = {a + 5}$, $AC = {b + 6}$, and the median from $A$ has length ${c // 2 + 4}$. Find the area of triangle $ABC$ in simplest radical form.",
        f"A sequence is defined by $a_1 = {a}$, $a_2 = {b}$, and $a_{{n+2}} = \\frac{{a_{{n+1}} + 1}}{{a_n}}$ for $n \\ge 1$. Compute $a_{{{n}}}$.",
        f"Find the number of ${k}$-digit positive integers whose digits are strictly increasing and whose digit sum is ${b + 20}$.",
        f"Find the minimum value of $\\frac{{x^2 + {c}}}{{\\sqrt{{x^2 + {a}}}}}$ over all real numbers $x$.",
        f"For how many integers $k$ between $1$ and ${n}$ inclusive does the equation $x^2 + kx + {c} = 0$ have two distinct integer roots?",
        f"Let $S$ be the set of lattice points $(x, y)$ with $|x| + |y| \\le {b}$. Two distinct points of $S$ are chosen at random. What is the probability that the midpoint of the segment joining them is also in $S$?",
        f"Square $ABCD$ has side length ${a * 2}$. Point $E$ lies on $\\overline{{BC}}$ and point $F$ on $\\overline{{CD}}$ so that triangle $AEF$ is equilateral. Find the area of triangle $AEF$, expressed as $p\\sqrt{{q}} - r$ with $q$ squarefree, and compute $p + q + r$.",
        f"Compute $\\displaystyle\\sum_{{k=1}}^{{\\infty}} \\frac{{k^2}}{{{a}^k}}$.",
        f"Determine the number of real solutions of $\\sin x = \\frac{{x}}{{{c * 10}}}$.",
        f"How many subsets of $\\{{1, 2, \\ldots, {b + 5}\\}}$ have the property that the sum of their elements is divisible by ${a if a > 2 else 3}$?",
        f"Let $f(x) = x^{{{k}}} + {a}x + {b}$. Let $r_1, \\ldots, r_{{{k}}}$ be its roots. Compute $\\prod_{{i=1}}^{{{k}}} (r_i^2 + 1)$.",
        f"The graphs of $y = x^3 - {a}x + {b}$ and $x + {c}y = {b + c}$ intersect at points $(x_1,y_1)$, $(x_2,y_2)$, $(x_3,y_3)$. Find $x_1 + x_2 + x_3$ and $y_1 + y_2 + y_3$.",
        f"Find the largest positive integer $n$ such that $n^3 + {c * 10}$ is divisible by $n + {b}$.",
        f"A $ {a} \\times {b} $ grid of unit squares is colored black and white so that every $2 \\times 2$ square contains exactly two black squares. How many colorings are possible?",
        f"Let $x, y, z$ be real numbers such that $x + y + z = {a}$ and $xy + yz + zx = {b}$. Find the largest possible value of $x$.",
        f"Let $N$ be the number of ways to place ${k}$ indistinguishable rooks on a ${k} \\times {k}$ board so that no two attack each other and none lies on the main diagonal. Find the remainder when $N$ is divided by ${m}$.",
        f"Find all positive integers $n$ such that $2^n + {2 * a + 1}$ is a perfect square.",
        f"Two points are chosen independently and uniformly at random on a circle of radius ${a}$. What is the expected length of the chord they determine?",
        f"In how many ways can ${k + 3}$ people sit around a round table if {pick(rng, NAMES)} and {pick(rng, NAMES)} refuse to sit next to each other and three particular people must sit together?",
        f"Let $\\omega$ be a nonreal root of $x^{{{k}}} = 1$. Compute $\\left|\\sum_{{j=0}}^{{{k - 1}}} (j+1)\\omega^{{j}}\\right|^2$.",
        f"Find the smallest positive integer $n$ such that $\\sqrt{{n}} - \\sqrt{{n - 1}} < \\frac{{1}}{{{c * 10}}}$ and $n$ is not a perfect square.",
        f"The roots of $x^3 - {a}x^2 + {b}x - {c} = 0$ are $r$, $s$, $t$. Find $\\frac{{1}}{{r^2}} + \\frac{{1}}{{s^2}} + \\frac{{1}}{{t^2}}$.",
        f"Let $ABC$ be a triangle with $\\angle A = {rng.choice([30, 45, 60, 75, 120])}^\\circ$, $AB = {a}$ and $AC = {b}$. The circle through $B$ and $C$ tangent to line $AB$ meets line $AC$ again at $D$. Find $CD$.",
        f"Compute the number of permutations $\\sigma$ of $\\{{1, \\ldots, {k}\\}}$ such that $|\\sigma(i) - i| \\le 2$ for all $i$.",
        f"Find the area of the region enclosed by the graph of $|x - {a}| + |y + {b}| + |x + y| = {c + 10}$.",
        f"Let $f:\\mathbb{{R}} \\to \\mathbb{{R}}$ satisfy $f(x) + {a}f({b} - x) = x^2$ for all real $x$. Find $f({c})$.",
        f"Evaluate $\\displaystyle \\int_0^{{1}} \\frac{{\\ln(1 + x^{{{a}}})}}{{1 + x^2}}\\,dx$ exactly.",
        f"Find the greatest integer less than $\\left(\\sqrt{{{a}}} + \\sqrt{{{a + 1}}}\\right)^{{{2 * k}}}$ modulo ${m}$.",
        f"For each positive integer $n$, let $s(n)$ be the sum of the digits of $n$. How many $n \\le {n}$ satisfy $s(n) = s({a}n)$?",
        f"A frog starts at $(0,0)$ and each jump moves it to one of the four neighbouring lattice points at random. What is the probability that after ${2 * k}$ jumps it is back at the origin?",
    ]
    text = pick(rng, t)
    if rng.random() < 0.15:
        text += pick(rng, WORDS["high_competition.text_suffix"])
    return text


PROOF_STATEMENTS = WORDS["PROOF_STATEMENTS"]


def high_proof(rng: random.Random) -> str:
    s = pick(rng, PROOF_STATEMENTS).replace("{n}", str(rng.choice([3, 5, 6, 7, 10, 12, 15])))
    s = s.replace("{{", "{").replace("}}", "}")
    pre = pick(rng, WORDS["high_proof.pre"])
    post = pick(rng, WORDS["high_proof.post"])
    return pre + s + post


SYSTEMS = WORDS["SYSTEMS"]
SYS_REQ = WORDS["SYS_REQ"]
SYS_ASPECTS = WORDS["SYS_ASPECTS"]


def high_design(rng: random.Random) -> str:
    pre = pick(rng, WORDS["high_design.pre"])
    return f"{pre}{pick(rng, SYSTEMS)} {pick(rng, SYS_REQ)}. {pick(rng, SYS_ASPECTS)}"


SERVICES = WORDS["SERVICES"]
SYMPTOMS = WORDS["SYMPTOMS"]
CONDITIONS = WORDS["CONDITIONS"]


def high_debug(rng: random.Random) -> str:
    closing = pick(rng, WORDS["high_debug.closing"])
    return f"{pick(rng, SERVICES).capitalize()} {pick(rng, SYMPTOMS)} {pick(rng, CONDITIONS)}. {closing}"


ALGO_TASKS = WORDS["ALGO_TASKS"]


def high_algo(rng: random.Random) -> str:
    n = pick(rng, WORDS["high_algo.n"])
    pre = pick(rng, WORDS["high_algo.pre"])
    post = pick(rng, WORDS["high_algo.post"])
    return f"{pre} (n up to ${n}$), {pick(rng, ALGO_TASKS)}. {post}"


def high_plan(rng: random.Random) -> str:
    days = rng.randint(5, 21)
    return pick(
        rng,
        (
            f"Plan a {days}-day itinerary through {pick(rng, COUNTRIES)} for {rng.randint(2, 6)} people with a budget of ${rng.randint(2, 15)},000, "
            f"one vegetarian, one person who cannot walk more than 2 km a day, and at most {rng.randint(2, 4)} hours of travel per day. Optimize the route and justify each tradeoff.",
            f"I must schedule {rng.randint(8, 30)} meetings across {rng.randint(3, 6)} rooms over {rng.randint(2, 5)} days with these constraints: "
            "some people can't overlap, two meetings must be consecutive, room capacities differ and nobody should have more than 4 hours of meetings per day. "
            "Formulate this as a constraint problem and find a feasible schedule.",
            f"We have {rng.randint(3, 12)} engineers, {rng.randint(5, 20)} tasks with dependencies, different skill requirements and a hard deadline in {days} days. "
            "Build an optimal assignment and critical-path schedule, and explain how it changes if one engineer gets sick.",
            f"Allocate a ${rng.randint(1, 50)}M budget across {rng.randint(3, 6)} projects with different risk profiles, cash-flow timing and a minimum return of {rng.randint(5, 15)}%. "
            "Set up the optimization, solve it, and analyze sensitivity to the assumptions.",
            f"Design a weekly training plan for a marathon in {days} weeks for a runner with a knee injury history, "
            "balancing volume, intensity, recovery and cross-training, and justify the periodization in detail.",
        ),
    )


RHS = WORDS["RHS"]


def high_other(rng: random.Random) -> str:
    return pick(
        rng,
        (
            f"Derive the {pick(rng, ('Euler-Lagrange equations', 'Schwarzschild solution', 'Navier-Stokes equations from conservation laws', 'Kalman filter update equations', 'backpropagation equations for an LSTM', 'closed form of ridge regression and its bias-variance decomposition', 'Fourier transform of a Gaussian', 'wave equation from a vibrating string'))} step by step, explaining every assumption.",
            f"Solve the differential equation $y'' + {rng.randint(1, 9)}y' + {rng.randint(1, 20)}y = {pick(rng, RHS)}$ with $y(0) = {rng.randint(0, 3)}$, $y'(0) = {rng.randint(0, 3)}$, showing all work.",
            f"Compute $\\int_{{0}}^{{\\infty}} \\frac{{x^{{{rng.randint(1, 3)}}}}}{{e^{{x}} - 1}}\\,dx$ and explain how the zeta function appears.",
            f"Think step by step: {rng.randint(3, 7)} logicians each wear a hat that is either red or blue; each sees the others but not their own. Find the strategy that maximizes the probability they all guess correctly, and prove it is optimal.",
            f"Analyze the two-player game where players alternately remove 1 to {rng.randint(3, 6)} stones, except they may not repeat the opponent's last move. Who wins from n = {rng.randint(20, 100)}? Prove it.",
            f"Evaluate the limit $\\lim_{{n \\to \\infty}} \\left(\\prod_{{k=1}}^{{n}} \\left(1 + \\frac{{k}}{{n^2}}\\right)\\right)^{{{rng.randint(1, 4)}}}$ rigorously.",
            f"Find all {pick(rng, ('real', 'integer', 'positive integer'))} solutions of $x^{rng.randint(2, 4)} + y^{rng.randint(2, 4)} = {rng.randint(10, 500)}z^2$ and prove there are no others.",
            "Compare the time and space complexity of three approaches to this problem, prove the lower bound, and implement the best one with tests.",
            f"Explain in depth how {pick(rng, ('the Paxos protocol', 'MVCC in PostgreSQL', 'the Linux CFS scheduler', 'TCP congestion control (BBR vs CUBIC)', 'a garbage collector with concurrent marking', 'Spectre and Meltdown', 'transformer attention with KV caching', 'the RSA cryptosystem and why it is secure'))} works, reason about its edge cases and failure modes, and prove the key invariant.",
        ),
    )


# ---------------------------------------------------------------------------------------------- LOW
def low_word_problem(rng: random.Random) -> str:
    n1, n2, n3 = rng.randint(3, 60), rng.randint(2, 25), rng.randint(2, 12)
    p1, p2 = rng.choice([1.5, 2, 2.5, 3, 4, 5, 6, 8, 12, 15, 20, 25]), rng.choice([3, 5, 7, 9, 10, 12, 18, 30, 45])
    a, b, it = pick(rng, NAMES), pick(rng, NAMES), pick(rng, ITEMS)
    t = (
        f"{a} has {n1} {it}. She gives {n2} to {b} and then buys {n3} more. How many {it} does she have now?",
        f"{a} buys {n3} {it} at ${p1} each and pays with a ${p2 * 5} bill. How much change does {a} get?",
        f"{a} earns ${p2} an hour and works {n3} hours a day for {rng.randint(3, 6)} days. How much does {a} earn in total?",
        f"A store sells {it} in packs of {n3}. {a} needs {n1 + 30} {it}. How many packs must {a} buy?",
        f"{a} is {n3} years older than {b}. In {n2} years, the sum of their ages will be {2 * n1 + 2 * n2 + n3}. How old is {b} now?",
        f"{a} read {n2} pages on Monday and twice as many on Tuesday. If the book has {n1 * 10} pages, how many pages are left?",
        f"A car travels {n1 * 5} miles in {n3} hours. What is its average speed in miles per hour?",
        f"There are {n1 + 20} students in a class. {rng.choice([25, 40, 60, 75])}% of them walk to school. How many students do not walk to school?",
        f"{a} had ${n1 * 10}. {a} spent a quarter of it on a jacket and ${n2} on lunch. How much money is left?",
        f"A garden is {n2} meters long and {n3} meters wide. Fencing costs ${p1} per meter. How much does it cost to fence the garden?",
        f"{a} collects {it}. {a} has {n1} and {b} has {n3} times as many. How many do they have altogether?",
        f"A baker makes {n1 + 12} muffins. She sells {n2} in the morning and half of the rest in the afternoon. How many muffins are left?",
        f"{a} runs {n3} km every weekday and {n2} km on Saturday. How many kilometers does {a} run in {rng.randint(2, 5)} weeks?",
        f"A movie ticket costs ${p2} for adults and ${p1} for children. How much does it cost for {rng.randint(1, 4)} adults and {rng.randint(1, 5)} children?",
        f"{a} wants to buy a bike that costs ${n1 * 10 + 100}. {a} has saved ${n1} and saves ${p2} a week. How many weeks until {a} can buy it?",
        f"A recipe uses {n3} eggs to make {n2 + 10} pancakes. How many eggs are needed for {3 * (n2 + 10)} pancakes?",
        f"{a} plants {n2} rows of tomatoes with {n3} plants in each row. Each plant gives {rng.randint(3, 15)} tomatoes. How many tomatoes does {a} harvest?",
        f"A shirt originally costs ${p2 * 4}. It is discounted by {rng.choice([10, 15, 20, 25, 30, 50])}%. What is the sale price?",
        f"The school bus picks up {n3} kids at the first stop, {n2} at the second, and drops off {min(n2, n3)} at the third. How many kids are on the bus?",
        f"{a} types {n1 + 20} words per minute. How long will it take to type a {100 * n3}-word essay?",
        f"If {n3} workers can paint a fence in {n2} hours, how long would it take {n3 * 2} workers at the same rate?",
        f"{a} and {b} share {n1 * 3} {it} in the ratio {rng.randint(1, 4)}:{rng.randint(2, 5)}. How many does {b} get?",
        f"A phone plan costs ${p2} per month plus ${p1} per gigabyte over the limit. {a} used {n3} extra gigabytes. What is the bill?",
        f"{a} sold {n1} {it} on Saturday and {n2} fewer on Sunday. If each sold for ${p1}, how much did {a} make over the weekend?",
        f"A water tank holds {n1 * 50} liters and is {rng.choice(['half', 'a third', 'a quarter'])} full. How many liters are needed to fill it?",
        f"{a} walks her dog {n3} times a day for {n2} minutes each time. How many hours does she spend walking the dog in a week?",
        f"A class raised ${n1 * 20} for a trip. The bus costs ${n1 * 8} and tickets are ${p2} per student for {n2} students. How much money is left?",
    )
    return pick(rng, t)


STORY_STEPS = WORDS["STORY_STEPS"]
STORY_QUESTIONS = WORDS["STORY_QUESTIONS"]


def low_multi_step(rng: random.Random) -> str:
    """Grade-school stories of 3-6 sentences: long and number-heavy, but each step is one operation."""
    a, b = rng.sample(NAMES, 2)
    pron = pick(rng, ("she", "he"))
    it = pick(rng, ITEMS)
    fill = {
        "a": a,
        "b": b,
        "p": pron,
        "P": pron.capitalize(),
        "o": "her" if pron == "she" else "him" if pron == "he" else "them",
        "it": it,
        "day": pick(rng, WORDS["low_multi_step.day"]),
        "n2": str(rng.randint(3, 40)),
        "n3": str(rng.randint(2, 12)),
        "k": str(rng.randint(2, 6)),
        "price": pick(rng, WORDS["low_multi_step.price"]),
        "pct": str(rng.choice([10, 15, 20, 25])),
    }
    start = pick(
        rng,
        (
            f"{a} has {rng.randint(12, 120)} {it}.",
            f"{a} buys {rng.randint(3, 30)} {it} for a party.",
            f"{a} collected {rng.randint(20, 90)} {it} over the summer.",
            f"A shop had {rng.randint(50, 500)} {it} in stock on Monday morning.",
            f"{a} earns ${rng.randint(8, 30)} per hour and works {rng.randint(3, 9)} hours a day.",
            f"{a} is saving for a trip that costs ${rng.randint(200, 2000)}.",
        ),
    )
    steps = [step.format(**fill) for step in rng.sample(STORY_STEPS, rng.randint(2, 4))]
    return " ".join([start, *steps, pick(rng, STORY_QUESTIONS).format(**fill)])


def high_short_hard(rng: random.Random) -> str:
    """One-line competition problems: short, but the solution takes several non-obvious steps."""
    a, b, n = rng.randint(2, 9), rng.randint(2, 7), rng.choice([10, 12, 15, 20, 30, 50, 100, 2024, 2025])
    return pick(
        rng,
        (
            f"Find the number of positive divisors of ${a}^{{{n}}} \\cdot {b + 1}^{{{b}}}$ that are perfect squares.",
            f"How many ordered pairs of positive integers $(m, n)$ satisfy $mn = {a * 6}^{{{b}}}$ and $\\gcd(m, n) = 1$?",
            f"Find the sum of all integers $n$ such that $n^2 - {a * 3}n + {b * 5}$ is a perfect square.",
            f"Compute $\\sum_{{k=1}}^{{{n}}} \\gcd(k, {n})$.",
            f"Find the last three digits of ${a + 1}^{{{n}}}$.",
            f"How many integers $1 \\le n \\le {n * 10}$ make $\\frac{{n}}{{{n * 10 + 1}}}$ a repeating decimal with period exactly {b}?",
            f"Find the smallest positive integer with exactly ${a * 4}$ positive divisors.",
            f"How many real $x$ satisfy $\\sin({a}x) = \\frac{{x}}{{{n}}}$?",
            f"Find the minimum of $x^{{2}} + \\frac{{{a * 8}}}{{x}}$ for $x > 0$.",
            f"Compute $\\tan^2 {rng.choice([10, 20, 40])}^\\circ + \\tan^2 {rng.choice([50, 70, 80])}^\\circ$.",
            f"How many $3$-element subsets of $\\{{1, \\ldots, {n}\\}}$ have a sum divisible by $3$?",
            f"Find the remainder when $\\binom{{{n}}}{{{b}}}$ is divided by ${rng.choice([7, 11, 13])}$.",
            f"What is the probability that a random permutation of $\\{{1, \\ldots, {a + 3}\\}}$ has no fixed points?",
            f"Find all primes $p$ such that $p^2 + {a * 2}$ is also prime.",
            f"Find the number of ordered triples $(a, b, c)$ of positive integers with $a + b + c = {n}$ and $a \\le b \\le c$.",
            f"Let $x^2 + x + 1 = 0$. Compute $x^{{{n}}} + x^{{-{n}}}$.",
            f"Find the area of the triangle with side lengths ${a + 4}$, ${a + 5}$, ${a + 6}$.",
            f"What is the largest $n$ such that ${a}^n$ divides ${n}!$?",
        ),
    )


def low_wordy_math(rng: random.Random) -> str:
    """Easy problems in competition formatting ($\\$$ amounts, 'Express your answer ...'): wordy, one or two steps."""
    a, b = pick(rng, NAMES), pick(rng, NAMES)
    x, y, z = rng.randint(3, 30), rng.randint(2, 12), rng.randint(20, 90)
    return pick(
        rng,
        (
            f"{a} is paid $\\${x}$ per hour for the first 40 hours of a week and $\\${x + x // 2}$ for each hour after that. How much does {a} earn for a {40 + y}-hour week?",
            f"A store sells {pick(rng, ITEMS)} for $\\${y}.{rng.choice(['25', '50', '75', '99'])}$ each. {a} buys ${x}$ of them. How much does {a} spend? Express your answer as a decimal.",
            f"{a} walked ${y}$ miles in ${rng.randint(2, 4)}$ hours. At this rate, how many miles will {a} walk in ${y}$ hours? Express your answer as a decimal to the nearest tenth.",
            f"In a class of ${z}$ students, ${x}$ play soccer, ${y + 10}$ play basketball and ${y}$ play both. How many students play neither sport?",
            f"{a} has a collection of ${z}$ coins, and $\\frac{{1}}{{{rng.choice([3, 4, 5])}}}$ of them are quarters. How many coins are not quarters? (Assume the answer is an integer.)",
            f"The scores on a test were ${z}$, ${z - 5}$, ${z + 3}$, ${z - 1}$ and ${z + 8}$. What is the mean score? Express your answer as a decimal.",
            f"A map uses a scale of $1$ inch to ${y}$ miles. Two towns are ${rng.randint(2, 9)}.5$ inches apart on the map. How many miles apart are they?",
            f"{a} and {b} share $\\${z * 10}$ in the ratio ${rng.randint(1, 4)}:{rng.randint(2, 6)}$. How much does {b} receive?",
            f"A shirt costs $\\${z}$ after a ${rng.choice([10, 20, 25])}\\%$ discount. What was the original price? Express your answer to the nearest cent.",
            f"The length of a rectangle is ${x}$ cm and its width is ${y}$ cm less than its length. What is the area of the rectangle, in square centimeters?",
            f"{a} drinks ${y}$ glasses of water a day. How many glasses does {a} drink in ${rng.choice(['two weeks', 'the month of June', 'a leap year', 'three weeks'])}?",
            f"A cyclist rides at an average speed of ${x + 5}$ miles per hour. How many minutes does it take to ride ${y}$ miles? Express your answer to the nearest whole number.",
        ),
    )


def low_easy_math(rng: random.Random) -> str:
    a, b, c = rng.randint(2, 20), rng.randint(2, 15), rng.randint(1, 50)
    t = (
        f"What is the value of ${a}x + {b}$ when $x = {c}$?",
        f"Solve for $x$: ${a}x - {b} = {c}$.",
        f"Compute $\\dbinom{{{a + 3}}}{{{min(b, 4)}}}$.",
        f"Evaluate $\\left\\lceil \\frac{{{c}}}{{{b}}} \\right\\rceil$.",
        f"Evaluate $\\lfloor \\sqrt{{{c * 3}}} \\rfloor$.",
        f"Simplify $\\sqrt{{{a * a * b}}}$.",
        f"What is ${a}\\%$ of ${c * 10}$?",
        f"Find the slope of the line through $({a}, {b})$ and $({a + 3}, {c})$.",
        f"What is the greatest common factor of ${a * 6}$ and ${b * 4}$?",
        f"What is the least common multiple of ${a}$ and ${b}$?",
        f"Compute $\\frac{{{a}}}{{{b}}} + \\frac{{{c}}}{{{b + 2}}}$. Express your answer as a common fraction.",
        f"What is ${a}^2 - {b}^2$?",
        f"Evaluate $({a} + {b})^2 - {c}$.",
        f"If $f(x) = {a}x^2 - {b}$, what is $f({rng.randint(-3, 5)})$?",
        f"How many positive divisors does ${c * 2}$ have?",
        f"Round ${c}.{rng.randint(10, 99)}{rng.randint(1, 9)}$ to the nearest hundredth.",
        f"What is the sum of the interior angles of a polygon with ${a}$ sides?",
        f"A rectangle has length ${a}$ and width ${b}$. What is its perimeter?",
        f"The mean of ${a}$, ${b}$, ${c}$ and $x$ is ${(a + b + c) // 3 + 4}$. What is $x$?",
        f"Expand $(x + {a})(x - {b})$.",
        f"Factor $x^2 + {a + b}x + {a * b}$.",
        f"What is the distance between $(0, 0)$ and $({a}, {b})$?",
        f"Simplify $\\frac{{{a * b}x^{{5}}}}{{{a}x^{{2}}}}$.",
        f"What is the remainder when ${c * 37}$ is divided by ${b}$?",
        f"Evaluate $\\log_{{{rng.choice([2, 3, 5, 10])}}} {rng.choice([8, 9, 25, 100, 1000, 27, 16])}$.",
        f"Compute ${a} \\cdot {b} - {c} \\div {rng.choice([1, 2, 5])}$.",
        f"Express ${rng.choice(['0.25', '0.6', '0.125', '0.75', '1.5', '0.4'])}$ as a common fraction in lowest terms.",
        f"What is the circumference of a circle with radius ${a}$? Express your answer in terms of $\\pi$.",
        f"If $x + y = {a + b}$ and $x - y = {a - b}$, what is $x$?",
        f"What is $\\frac{{2}}{{3}}$ of ${c * 3}$?",
        f"How many integers are there between $\\sqrt{{{a}}}$ and $\\sqrt{{{a * 10 + c}}}$?",
        f"What is ${a}! / {max(a - 2, 1)}!$?",
        f"The ratio of boys to girls in a club is ${rng.randint(1, 5)}:{rng.randint(2, 7)}$. If there are ${c + 20}$ girls... wait, if there are ${b * 7}$ members in total, how many girls are there?".replace(
            "If there are ${c + 20}$ girls... wait, if", "If"
        ),
        f"Find the $y$-intercept of the line $y = {a}x - {b}$.",
        f"What is the median of the set $\\{{{a}, {b}, {c}, {a + b}, {c + 3}\\}}$?",
        f"A right triangle has legs ${a}$ and ${b}$. Find the length of the hypotenuse.",
        f"Compute $\\sqrt{{{a * a}}} + \\sqrt[3]{{{b**3}}}$.",
        f"What is the next term of the arithmetic sequence ${a}, {a + b}, {a + 2 * b}, \\ldots$?",
    )
    return pick(rng, t)


CODE_TASKS = WORDS["CODE_TASKS"]
CODE_ERRORS = WORDS["CODE_ERRORS"]


def low_code(rng: random.Random) -> str:
    lang = pick(rng, LANGS)
    return pick(
        rng,
        (
            f"Write a {lang} function that {pick(rng, CODE_TASKS)}.",
            f"write a quick {lang.lower()} snippet that {pick(rng, CODE_TASKS)}",
            f"How do I fix this error in my {lang} code: {pick(rng, CODE_ERRORS)}?",
            f"I'm getting `{pick(rng, CODE_ERRORS)}` when I run my script. What does it mean and how do I fix it?",
            f"How do I {pick(rng, ('sort a dictionary by value', 'read a JSON file', 'get the current date', 'split a string by commas', 'loop over a list with indexes', 'convert a string to an integer', 'check if a key exists in a map', 'make an HTTP POST request', 'write to a text file', 'remove whitespace from a string'))} in {lang}?",
            f"What's the difference between {pick(rng, ('a list and a set', 'let and const', 'an interface and an abstract class', 'a process and a thread', 'GET and POST', 'a shallow copy and a deep copy', 'INNER JOIN and LEFT JOIN', 'stack and heap memory'))}? Short answer with an example please.",
            f"Write a SQL query to {pick(rng, ('find the top 5 customers by total spend', 'count users who signed up each month', 'delete duplicate rows from a table', 'get the second highest salary', 'find employees without a manager'))}.",
            f"This {lang} loop never ends, why? while (i < 10) {{ print(i) }}",
            f"Give me a {pick(rng, ('regex', 'one-liner', 'shell command', 'git command'))} to {pick(rng, ('match a phone number', 'count lines in all .py files', 'rename all .txt files to .md', 'undo the last commit', 'find the 10 largest files in a folder', 'extract all email addresses from a file'))}.",
        ),
    )


def low_voice_calc(rng: random.Random) -> str:
    a, b = rng.randint(2, 999), rng.randint(2, 99)
    unit = pick(
        rng,
        (
            ("miles", "kilometers"),
            ("pounds", "kilograms"),
            ("inches", "centimeters"),
            ("feet", "meters"),
            ("ounces", "grams"),
            ("gallons", "liters"),
            ("cups", "milliliters"),
            ("hours", "minutes"),
        ),
    )
    return pick(
        rng,
        (
            f"what's {a} times {b}",
            f"what is {a} divided by {b}",
            f"how much is {a} plus {b * 17}",
            f"what is {b} percent of {a}",
            f"calculate a {rng.choice([15, 18, 20, 22])} percent tip on {a} dollars",
            f"how many {unit[1]} are in {b} {unit[0]}",
            f"convert {b} {unit[0]} to {unit[1]}",
            f"if i split a {a} dollar bill between {rng.randint(2, 8)} people how much does each pay",
            f"what's the square root of {b * b}",
            f"what's {a} minus {b}",
            f"if i make {b} dollars an hour how much do i make in a {rng.choice([35, 38, 40, 45])} hour week",
            f"how many days until christmas if today is december {rng.randint(1, 24)}",
            f"if i leave at {rng.randint(1, 11)}:{rng.choice(['00', '15', '30', '45'])} and the trip takes {rng.randint(1, 3)} hours {rng.choice([10, 20, 40])} minutes when do i arrive",
        ),
    )


def low_explain(rng: random.Random) -> str:
    return pick(
        rng,
        (
            f"Briefly explain how {pick(rng, ('a bill becomes a law in the US', 'vaccines train the immune system', 'a refrigerator keeps food cold', 'interest on a savings account is calculated', 'a binary search works', 'DNS resolves a domain name', 'a credit score is calculated', 'the greenhouse effect works', 'a rainbow forms', 'HTTPS keeps data private'))}, in a few steps.",
            f"Why {pick(rng, ('do we have leap years', 'does ice float on water', 'do heavier objects not fall faster', 'does bread go stale', 'do planes leave contrails', 'does salt melt ice', 'is division by zero undefined', 'do we see lightning before hearing thunder'))}? Explain the reasoning briefly.",
            f"Which is a better deal: {rng.randint(2, 6)} for ${rng.randint(3, 12)} or {rng.randint(7, 12)} for ${rng.randint(12, 25)}?",
            f"Is it cheaper to drive {rng.randint(50, 400)} miles in a car that gets {rng.randint(20, 45)} mpg with gas at ${rng.choice(['3.10', '3.50', '4.20'])} a gallon or take a ${rng.randint(30, 90)} train ticket?",
            f"How do I calculate {pick(rng, ('my BMI', 'the area of a circle', 'percent change', 'a weighted average', 'simple interest', 'the volume of a cylinder', 'my hourly rate from an annual salary'))}? Show an example.",
            f"My recipe serves {rng.randint(2, 6)} but I need to feed {rng.randint(7, 20)}. How do I scale {rng.randint(1, 3)} cups of flour and {rng.randint(1, 4)} eggs?",
        ),
    )


# ---------------------------------------------------------------------------------------------- NO
SMALLTALK = WORDS["SMALLTALK"]
SMALL_PRE = WORDS["SMALL_PRE"]
SMALL_POST = WORDS["SMALL_POST"]


def no_smalltalk(rng: random.Random) -> str:
    base = pick(rng, SMALLTALK)
    text = (pick(rng, SMALL_PRE) + base + pick(rng, SMALL_POST)).strip()
    return text.capitalize() if rng.random() < 0.4 else text


PHRASES = WORDS["PHRASES"]


def no_translate(rng: random.Random) -> str:
    p, lang = pick(rng, PHRASES), pick(rng, LANGUAGES)
    return pick(
        rng,
        (
            f"how do you say {p} in {lang.lower()}",
            f'how do i say "{p}" in {lang}',
            f'translate "{p}" to {lang}',
            f"Translate '{p.capitalize()}' into {lang}.",
            f"what is {p} in {lang.lower()}",
            f"{lang} for {p}",
            f"can you translate {p} into {lang.lower()} for me",
            f"what's the {lang} word for {p}",
            f'Please translate this into {lang}: "{p.capitalize()}, and have a wonderful weekend."',
            f"Translate the following text from English to {lang}: {p.capitalize()}. We look forward to seeing you at the event next month.",
            f"i need to know how to say {p} in {lang.lower()}",
        ),
    )


FORMS = WORDS["FORMS"]
SUBJECTS = WORDS["SUBJECTS"]
CONSTRAINTS = WORDS["CONSTRAINTS"]


def no_creative(rng: random.Random) -> str:
    form, subj = pick(rng, FORMS), pick(rng, SUBJECTS)
    verb = pick(rng, WORDS["no_creative.verb"])
    text = f"{verb} {form} about {subj}."
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        c = pick(rng, CONSTRAINTS)
        if c:
            text += " " + c
    if rng.random() < 0.15:
        text = (
            f"I'm writing a {pick(rng, ('novel', 'short film', 'D&D campaign', 'children book', 'video game'))} and need help. "
            + text
            + " The main character is called "
            + pick(rng, NAMES)
            + "."
        )
    return text


SNIPPETS = WORDS["SNIPPETS"]


def no_rewrite(rng: random.Random) -> str:
    s = pick(rng, SNIPPETS)
    return pick(
        rng,
        (
            f"Rewrite this to sound more professional: {s}",
            f"Fix the grammar and spelling: {s}",
            f"Make this more concise: {s}",
            f"Paraphrase the following: {s}",
            f"Turn this into a bulleted list: {s}",
            f"Rewrite this in a friendly, casual tone: {s}",
            f"Summarize in one sentence: {s}",
            f"Format this as a markdown table: {s}",
            f"Make this sound more polite: {s}",
            f"Convert this into a formal email: {s}",
            f"Proofread this: {s}",
            f"Translate this into plain English: {s}",
            f"rephrase: {s}",
            f"Write a catchy headline for this: {s}",
        ),
    )


def no_brainstorm(rng: random.Random) -> str:
    n = rng.choice([5, 8, 10, 12, 15, 20])
    thing = pick(rng, WORDS["no_brainstorm.thing"])
    return pick(
        rng,
        (
            f"Give me {n} {thing}.",
            f"Brainstorm {n} {thing}.",
            f"List {n} {thing}",
            f"Can you suggest some {thing}?",
            f"I need {thing}, give me a list.",
            f"brainstorm some {thing}",
        ),
    )


FACT_Q = (
    ("What is the capital of {c}?", COUNTRIES),
    ("what's the capital city of {c}", COUNTRIES),
    ("What language do people speak in {c}?", COUNTRIES),
    ("What continent is {c} in?", COUNTRIES),
    ("Who wrote {c}?", WORDS["BOOKS"]),
    ("Who painted {c}?", WORDS["PAINTINGS"]),
    ("What is the chemical symbol for {c}?", WORDS["ELEMENTS"]),
    ("When did {c} happen?", WORDS["HISTORIC_EVENTS"]),
    ("Who invented {c}?", WORDS["INVENTIONS"]),
    ("Who was {c}?", WORDS["HISTORIC_PEOPLE"]),
    ("Where was {c} born?", WORDS["BIRTHPLACE_PEOPLE"]),
    ("What is {c}?", WORDS["CONCEPTS"]),
    ("How many {c}?", WORDS["COUNT_FACTS"]),
    ("In what year did {c}?", WORDS["YEAR_EVENTS"]),
    ("Which {c}?", WORDS["WHICH_FACTS"]),
    ("what does {c} mean", WORDS["EXPRESSIONS"]),
)


def no_fact(rng: random.Random) -> str:
    tmpl, fill = FACT_Q[rng.randrange(len(FACT_Q))]
    return maybe_lower(rng, tmpl.replace("{c}", pick(rng, fill)), 0.3)


# ---------------------------------------------------------------------------------------------- RAG
ROLES = WORDS["ROLES"]
NOW = WORDS["NOW"]
NOW_SUFFIX = WORDS["NOW_SUFFIX"]


def rag_office(rng: random.Random) -> str:
    return maybe_lower(
        rng,
        pick(
            rng,
            (
                f"Who is the {pick(rng, NOW)}{pick(rng, ROLES)} of {pick(rng, COUNTRIES)}{pick(rng, NOW_SUFFIX)}?",
                f"Who is the {pick(rng, NOW)}CEO of {pick(rng, COMPANIES)}{pick(rng, NOW_SUFFIX)}?",
                f"who runs {pick(rng, COMPANIES)}{pick(rng, NOW_SUFFIX)}",
                f"Who is the mayor of {pick(rng, CITIES)}{pick(rng, NOW_SUFFIX)}?",
                f"Who is the {pick(rng, ('head coach', 'manager', 'captain', 'owner'))} of {pick(rng, TEAMS)}{pick(rng, NOW_SUFFIX)}?",
                f"Who currently holds the office of {pick(rng, ROLES)} in {pick(rng, COUNTRIES)}?",
                f"Is {pick(rng, NAMES)} {pick(rng, ('Smith', 'Garcia', 'Chen', 'Müller', 'Rossi'))} still the {pick(rng, ROLES)} of {pick(rng, COUNTRIES)}?",
                f"Who replaced the last {pick(rng, ROLES)} of {pick(rng, COUNTRIES)}?",
            ),
        ),
    )


ASSETS = WORDS["ASSETS"]
PRODUCTS = WORDS["PRODUCTS"]


def rag_price(rng: random.Random) -> str:
    return maybe_lower(
        rng,
        pick(
            rng,
            (
                f"What is the price of {pick(rng, ASSETS)}{pick(rng, NOW_SUFFIX)}?",
                f"How much is {pick(rng, ASSETS)} worth{pick(rng, NOW_SUFFIX)}?",
                f"{pick(rng, ASSETS)} price{pick(rng, NOW_SUFFIX)}",
                f"How much does a {pick(rng, PRODUCTS)} cost{pick(rng, NOW_SUFFIX)}?",
                f"what is {pick(rng, ASSETS)} trading at",
                f"Did {pick(rng, ASSETS)} go up or down today?",
                f"What's the current price of a {pick(rng, PRODUCTS)} in {pick(rng, COUNTRIES)}?",
                f"How much did {pick(rng, ASSETS)} close at yesterday?",
                f"Is {pick(rng, ASSETS)} up this week?",
                f"what are {pick(rng, ('gas', 'egg', 'rent', 'housing', 'electricity', 'flight'))} prices in {pick(rng, CITIES)} {pick(rng, ('right now', 'this month', 'lately', 'today'))}",
                f"What is the market cap of {pick(rng, COMPANIES)}?",
                f"What's the latest quarterly revenue of {pick(rng, COMPANIES)}?",
                f"What is the current {pick(rng, ('inflation rate', 'unemployment rate', 'interest rate', 'GDP growth', 'minimum wage', 'mortgage rate'))} in {pick(rng, COUNTRIES)}?",
            ),
        ),
    )


def rag_fx(rng: random.Random) -> str:
    c1, c2 = rng.sample(CURRENCIES, 2)
    n = rng.choice([1, 5, 10, 20, 50, 100, 250, 500, 1000, 2000])
    return pick(
        rng,
        (
            f"what is the exchange rate between {c1} and {c2}",
            f"what's the exchange rate for {c1} to {c2}",
            f"how many {c2} will i get for {n} {c1}",
            f"how many {c2} is {n} {c1}",
            f"convert {n} {c1} into {c2}",
            f"what is {n} {c1} in {c2}",
            f"{c1} to {c2} rate",
            f"how much is {n} {c1} worth in {c2}",
            f"tell me the current exchange rate of {c1} to {c2}",
            f"what's {n} {c1} in {c2} today",
            f"how much is a {c1.rstrip('s')} worth in {c2}",
            f"What is the exchange rate from {c1} to {c2} right now?",
            f"if i exchange {n} {c1} how many {c2} do i get",
            f"give me the rate for {c1} to {c2}",
        ),
    )


WEATHER_Q = WORDS["WEATHER_Q"]


def rag_weather(rng: random.Random) -> str:
    return maybe_lower(rng, pick(rng, WEATHER_Q).replace("{c}", pick(rng, CITIES)), 0.2)


TEAMS = WORDS["TEAMS"]
EVENTS = WORDS["EVENTS"]
ATHLETES = WORDS["ATHLETES"]


def rag_sports(rng: random.Random) -> str:
    return maybe_lower(
        rng,
        pick(
            rng,
            (
                f"Who won the {pick(rng, ('last', 'latest', 'most recent', 'this year’s', '2024', '2025'))} {pick(rng, EVENTS)}?",
                f"What was the score of the {pick(rng, TEAMS)} game {pick(rng, ('last night', 'yesterday', 'today', 'this weekend'))}?",
                f"How many {pick(rng, ('goals', 'points', 'titles', 'trophies', 'championships', 'medals', 'wins'))} has {pick(rng, ATHLETES)} {pick(rng, ('scored', 'won', 'got'))} {pick(rng, ('this season', 'in his career so far', 'so far', 'in total', 'this year'))}?",
                f"When do {pick(rng, TEAMS)} play next?",
                f"Did {pick(rng, TEAMS)} win {pick(rng, ('today', 'last night', 'their last match', 'on Sunday'))}?",
                f"Who is leading the {pick(rng, ('Premier League', 'NBA standings', 'F1 drivers championship', 'La Liga', 'MLB standings', 'Bundesliga', 'NFL power rankings'))}{pick(rng, NOW_SUFFIX)}?",
                f"Is {pick(rng, ATHLETES)} injured?",
                f"Which team does {pick(rng, ATHLETES)} play for {pick(rng, ('now', 'this season', 'currently', ''))}?",
                f"How many times has {pick(rng, TEAMS)} won the {pick(rng, EVENTS)}?",
                f"What is {pick(rng, ATHLETES)}'s current ranking?",
                f"Who holds the record for most {pick(rng, ('career points', 'goals in a season', 'Grand Slam titles', 'home runs in a season', 'Olympic gold medals'))}?",
                f"live score {pick(rng, TEAMS)}",
                f"who is playing in the {pick(rng, EVENTS)} this year",
            ),
        ),
    )


SOFTWARE = WORDS["SOFTWARE"]


def rag_version(rng: random.Random) -> str:
    sw = pick(rng, SOFTWARE)
    return maybe_lower(
        rng,
        pick(
            rng,
            (
                f"What is the latest version of {sw}?",
                f"What's the newest {sw} release?",
                f"latest {sw} version",
                f"Is {sw} {rng.randint(2, 30)}.{rng.randint(0, 12)} out yet?",
                f"What changed in the most recent {sw} release?",
                f"When is the next {sw} release scheduled?",
                f"Does the latest {sw} still support {pick(rng, ('Windows 7', 'Python 2', 'ARM32', 'IE11', 'x86'))}?",
                f"What's the current LTS version of {sw}?",
                f"Is {sw} {rng.randint(2, 30)} still supported?",
                f"What's new in {sw} this year?",
                f"Has {sw} released a security patch for the latest CVE?",
                f"What is the newest {pick(rng, PRODUCTS)} model?",
                f"Which {pick(rng, ('phone', 'laptop', 'GPU', 'game console', 'electric car'))} came out most recently from {pick(rng, COMPANIES)}?",
                f"What's the latest model released by {pick(rng, ('OpenAI', 'Anthropic', 'Google DeepMind', 'Meta AI', 'Mistral'))}?",
            ),
        ),
    )


CELEBS = WORDS["CELEBS"]


def rag_fresh(rng: random.Random) -> str:
    celeb = pick(rng, CELEBS)
    return maybe_lower(
        rng,
        pick(
            rng,
            (
                f"How many {pick(rng, ('albums', 'Grammys', 'Oscars', 'films', 'followers', 'children', 'number-one hits', 'subscribers'))} {pick(rng, ('has', 'does'))} {celeb} {pick(rng, ('released', 'won', 'have', 'made'))}?",
                f"Who is {celeb} {pick(rng, ('dating', 'married to', 'engaged to'))}?",
                f"What is {celeb}'s net worth?",
                f"What is {celeb}'s most recent {pick(rng, ('album', 'movie', 'tour', 'project', 'single', 'book'))}?",
                f"Is {celeb} on tour {pick(rng, ('this year', 'right now', 'in 2025', ''))}?".replace(" ?", "?"),
                f"Who is the {pick(rng, ('richest person', 'most followed person on Instagram', 'oldest living person', 'best-selling artist', 'highest-paid athlete', 'youngest billionaire'))} in the world?",
                f"What is the {pick(rng, ('tallest building', 'fastest supercomputer', 'highest-grossing film', 'most valuable company', 'most populous city', 'largest airline', 'most downloaded app', 'best-selling car'))} in the world{pick(rng, NOW_SUFFIX)}?",
                f"What is the population of {pick(rng, CITIES + COUNTRIES)}{pick(rng, NOW_SUFFIX)}?",
                f"How many {pick(rng, ('employees', 'stores', 'users', 'subscribers', 'customers'))} does {pick(rng, COMPANIES)} have?",
                f"When is the next {pick(rng, ('election', 'Olympics', 'World Cup', 'solar eclipse', 'SpaceX launch', 'iPhone launch', 'Fed meeting', 'season of Stranger Things', 'Marvel movie'))}{pick(rng, ('', ' in ' + pick(rng, COUNTRIES)))}?",
                f"What is the {pick(rng, ('most recent', 'latest', 'newest'))} {pick(rng, ('Marvel movie', 'Pixar film', 'Zelda game', 'Star Wars series', 'Nobel Prize in Literature winner', 'country to join NATO', 'Pope encyclical', 'Mars mission'))}?",
                f"Has {pick(rng, COMPANIES)} {pick(rng, ('announced layoffs', 'released earnings', 'changed its CEO', 'been acquired', 'launched a new product'))} {pick(rng, ('recently', 'this month', 'this year', 'lately'))}?",
                f"Which {pick(rng, ('country', 'team', 'company', 'city', 'person', 'movie'))} {pick(rng, ('has the most', 'currently holds the record for', 'is number one in', 'leads in'))} {pick(rng, ('Olympic medals', 'electric car sales', 'Nobel prizes', 'box office revenue', 'streaming views', 'billionaires'))}?",
                f"Is {pick(rng, ('the new Marvel movie', 'Dune Part Three', 'the next GTA', 'the Twitter rebrand', 'the writers strike', 'the merger of ' + pick(rng, COMPANIES) + ' and ' + pick(rng, COMPANIES)))} {pick(rng, ('out yet', 'still happening', 'finished', 'delayed'))}?",
                f"How old is {celeb}?",
                f"Where does {celeb} live now?",
                f"Is {celeb} still alive?",
            ),
        ),
    )


NEWS_TOPICS = WORDS["NEWS_TOPICS"]


def rag_news(rng: random.Random) -> str:
    t = pick(rng, NEWS_TOPICS)
    return maybe_lower(
        rng,
        pick(
            rng,
            (
                f"What's the latest news on {t}?",
                f"any updates on {t}",
                f"What happened with {t} today?",
                f"What's going on with {t} right now?",
                f"Give me today's headlines about {t}.",
                f"news about {t} this week",
                f"Summarize the most recent developments in {t}.",
                f"What did the {pick(rng, ('president', 'Fed chair', 'CEO of ' + pick(rng, COMPANIES), 'UN'))} say {pick(rng, ('today', 'yesterday', 'this week'))}?",
                "top stories today",
                "what's trending on twitter right now",
                f"is {pick(rng, ('Gmail', 'AWS', 'Slack', 'Instagram', 'GitHub', 'Netflix'))} down right now",
                f"Are there any traffic delays on the way to {pick(rng, CITIES)} airport right now?",
                f"What time does {pick(rng, ('Costco', 'Target', 'the post office', 'the DMV', 'Walmart', 'the pharmacy'))} close today?",
                f"Are flights to {pick(rng, CITIES)} delayed today?",
            ),
        ),
    )


def high_word_puzzle(rng: random.Random) -> str:
    """Competition problems stated in words, no LaTeX: counting, probability, number theory."""
    n, k, m = rng.randint(5, 12), rng.randint(3, 6), rng.choice([3, 4, 6, 7, 9, 11, 13])
    a, b, c = "A", "B", "C"  # impersonal: named people are the mark of everyday word problems
    return pick(
        rng,
        (
            f"In how many ways can {n} people stand in a line if person {a} must stand somewhere to the left of person {b} and person {c} cannot stand at either end?",
            f"A palindrome reads the same forwards and backwards. How many {k + 2}-digit palindromes are divisible by {m}?",
            f"What is the smallest positive integer that leaves a remainder of {rng.randint(1, 2)} when divided by 3, a remainder of {rng.randint(1, 4)} when divided by 5, and a remainder of {rng.randint(1, 6)} when divided by 7?",
            f"A committee of {k} is chosen from {n} men and {n - 1} women. How many committees contain at least two women, if two particular men refuse to serve together?",
            f"{k} fair six-sided dice are rolled. What is the probability that the product of the numbers rolled is a perfect square? Express your answer as a common fraction.",
            "How many times in a 24-hour day do the hour and minute hands of a clock form a right angle?",
            f"A bag contains {n} red marbles and {k} blue marbles. Marbles are drawn one at a time without replacement until all the blue marbles have been drawn. What is the expected number of draws?",
            f"How many positive integers less than {rng.choice([1000, 5000, 10000])} are neither perfect squares, perfect cubes, nor perfect fifth powers?",
            f"In how many ways can {n + 5} identical candies be distributed among {k} children so that every child gets at least one and nobody gets more than {m}?",
            f"The digits 1 through {min(n, 9)} are each used once to form a {min(n, 9)}-digit number. How many such numbers are divisible by {rng.choice([11, 12, 36])}?",
            f"{n} points are placed on a circle and every pair is joined by a chord, with no three chords meeting at one interior point. Into how many regions is the disk divided?",
            f"A rectangular box has integer side lengths, volume {rng.choice([120, 240, 360, 720])} and surface area {rng.choice([208, 268, 344, 412])}. Find all possible side lengths and the length of the longest diagonal.",
            f"Players {a} and {b} take turns rolling a fair die; {a} goes first. The first person to roll a {m % 6 + 1} wins, but a player who rolls a 1 loses their next turn. What is the probability that player {a} wins?",
            "An ant starts at one vertex of a cube and walks along edges, choosing uniformly at random at each vertex. What is the expected number of moves before it reaches the opposite vertex?",
            f"What is the sum of all positive integers less than {rng.choice([100, 200, 500, 1000])} that have exactly three positive divisors?",
            f"A license plate has {k} letters followed by {k - 1} digits. How many plates contain at least one repeated character? Give the exact count and explain the complement argument.",
            f"How many ordered pairs of positive integers have a least common multiple of {rng.choice([360, 720, 1000, 2520, 900])}?",
            f"Find the number of ways to tile a 2 by {n + 3} board with 1 by 2 dominoes and 2 by 2 squares.",
            f"A number is chosen at random from the integers 1 to {rng.choice([100, 300, 1000])}. What is the probability that it is divisible by neither {m} nor {m + 2} but is divisible by 2?",
            f"{n} couples attend a party. In how many ways can they sit around a round table so that no one sits next to their partner?",
            f"There are {n} light switches, all off. Person k toggles every k-th switch, for k = 1 to {n}. Which switches end up on, and why? Then answer the same question if person k toggles every switch whose number shares a common factor with k.",
            f"Each of {n} students is either a knight who always tells the truth or a knave who always lies. Each says: 'At least {k} of the others are knaves.' How many knights are there?",
            f"What is the largest number of squares on an {n} by {n} chessboard that can be chosen so that no two chosen squares share a row, a column or a diagonal... and how many such maximum configurations are there for n = {min(n, 8)}?",
            f"Find the number of {k + 3}-letter strings using A, B and C in which no two adjacent letters are the same and the first and last letters are different.",
        ),
    )


def low_tricky_looking(rng: random.Random) -> str:
    """Easy one- or two-step problems that use the words and notation hard problems use."""
    a, b, c = rng.randint(2, 12), rng.randint(2, 9), rng.randint(10, 99)
    return pick(
        rng,
        (
            f"What is the largest prime factor of ${c * 2}$?",
            f"How many integers $x$ satisfy $-{a} < x \\le {b}$?",
            f"What is the smallest positive multiple of ${a}$ that is greater than ${c}$?",
            f"Find the sum of all the positive divisors of ${rng.choice([12, 18, 20, 28, 30])}$.",
            f"If $a \\star b = {b}a + b^2$, what is ${a} \\star 2$?",
            f"In right triangle $ABC$ with $\\angle B = 90^\\circ$, $AB = {3 * b}$ and $BC = {4 * b}$. What is $AC$?",
            f"The sum of three consecutive integers is ${3 * c}$. What is the largest of the three?",
            f"What is the probability of flipping {b} heads in a row with a fair coin? Express your answer as a common fraction.",
            f"How many ways can a president and a vice-president be chosen from a club of ${a + 5}$ people?",
            f"What is the maximum value of $-x^2 + {2 * a}x - {b}$?",
            f"Find the number of positive integers less than ${c}$ that are divisible by ${b}$.",
            f"What is the value of $\\sqrt{{{a * a}}} \\cdot \\sqrt{{{b * b}}}$?",
            f"How many distinct arrangements of the letters in the word {pick(rng, ('CAT', 'BOOK', 'DOG', 'MATH', 'TREE', 'LEVEL'))} are there?",
            f"What is the remainder when ${a}^{{2}} + {b}^{{2}}$ is divided by ${rng.choice([3, 4, 5, 7])}$?",
            f"The area of a square is ${(a + 1) ** 2}$ square units. What is the length of its diagonal? Express your answer in simplest radical form.",
            f"Find the smallest positive integer $n$ such that ${a}n > {c * 3}$.",
            f"If $\\frac{{x}}{{{a}}} = \\frac{{{b}}}{{{a + b}}}$, what is $x$? Express your answer as a common fraction.",
            "A fair die is rolled. What is the probability that the number rolled is a prime? Express your answer as a common fraction.",
            f"What is the positive difference between the squares of ${a + 10}$ and ${a + 7}$?",
            f"How many positive three-digit integers have a hundreds digit of ${b}$ and are even?",
            f"Which of the following is the largest: $\\frac{{{a}}}{{{a + 1}}}$, $\\frac{{{b}}}{{{b + 1}}}$, or $0.9$?",
        ),
    )


def no_is_question(rng: random.Random) -> str:
    """Short yes/no questions about things that do not change (so not RAG despite starting with "is")."""
    return maybe_lower(
        rng,
        pick(
            rng,
            (
                f"Is a {pick(rng, ('tomato', 'cucumber', 'avocado', 'peanut', 'strawberry', 'banana', 'pumpkin'))} a fruit?",
                f"Is {pick(rng, ('Pluto', 'the Moon', 'Venus', 'the Sun', 'Ceres'))} a planet?",
                f"Is {pick(rng, ('a whale', 'a bat', 'a dolphin', 'a penguin', 'a platypus', 'a shark'))} a mammal?",
                f"Is {pick(rng, ('glass', 'water', 'mercury', 'lava', 'honey'))} a liquid or a solid?",
                f"Is {pick(rng, ('Spanish', 'Portuguese', 'Romanian', 'English', 'German'))} a Romance language?",
                f"Was {pick(rng, ('Shakespeare', 'Mozart', 'Napoleon', 'Cleopatra', 'Einstein'))} ever married?",
                f"Is {pick(rng, ('Australia', 'Greenland', 'Madagascar', 'Iceland', 'Japan'))} a continent or an island?",
                "Is zero an even number?",
                "Is a square a rectangle?",
                "Are spiders insects?",
                "Do fish sleep?",
                "Is the Great Wall of China visible from space?",
                "Can penguins fly?",
                "Is lightning hotter than the sun's surface?",
                "Did the Vikings wear horned helmets?",
                f"Is English the official language of {pick(rng, ('Nigeria', 'India', 'the United States', 'Jamaica'))}?",
            ),
        ),
    )


def low_is_question(rng: random.Random) -> str:
    n = rng.randint(20, 999)
    return maybe_lower(
        rng,
        pick(
            rng,
            (
                f"Is {n} a prime number?",
                f"Is {n} divisible by {rng.choice([3, 4, 6, 7, 9, 11])}?",
                f"Is {n} a perfect square?",
                f"Is {rng.randint(2, 9)}/{rng.randint(10, 20)} bigger than {rng.randint(1, 9)}/{rng.randint(10, 20)}?",
                f"Is {n} even or odd, and what are its prime factors?",
                f"is {n} times {rng.randint(2, 9)} more than {n * 5}",
                f"Is a {rng.randint(10, 40)}% discount better than ${rng.randint(5, 30)} off on a ${rng.randint(40, 150)} item?",
            ),
        ),
    )


SLOW_SUBJECTS = WORDS["SLOW_SUBJECTS"]


def rag_slow_change(rng: random.Random) -> str:
    """Facts that change every few months or years and carry no 'today' / 'latest' word."""
    celeb, ath, team = pick(rng, CELEBS), pick(rng, ATHLETES), pick(rng, TEAMS)
    return maybe_lower(
        rng,
        pick(
            rng,
            (
                f"How many {pick(rng, ('career titles', 'Grand Slams', 'goals', 'MVP awards', 'championship rings', 'Olympic medals'))} does {ath} have?",
                f"How many {pick(rng, ('studio albums', 'Grammy awards', 'feature films', 'Oscar nominations', 'world tours'))} has {celeb} {pick(rng, ('released', 'won', 'made', 'received', 'done'))}?",
                f"Who is {team}'s all-time {pick(rng, ('top scorer', 'leading scorer', 'record signing', 'most-capped player'))}?",
                f"How many {pick(rng, ('members', 'countries', 'teams', 'films', 'languages', 'employees', 'articles'))} does {pick(rng, SLOW_SUBJECTS)} have?",
                f"Who is the {pick(rng, ('youngest', 'oldest', 'most decorated', 'highest-paid', 'longest-serving'))} {pick(rng, ('player in the NBA', 'head of state in the world', 'member of Congress', 'Formula One driver', 'CEO in the S&P 500'))}?",
                f"Which {pick(rng, ('country', 'city', 'company', 'university'))} {pick(rng, ('has the highest', 'ranks first for', 'has the largest'))} {pick(rng, ('GDP per capita', 'number of unicorn startups', 'life expectancy', 'research output', 'renewable energy share', 'number of skyscrapers'))}?",
                f"What is {pick(rng, COMPANIES)}'s {pick(rng, ('stock ticker price', 'annual revenue', 'number of employees', 'headquarters address', 'market share'))}?",
                f"Where will the {pick(rng, ('next Olympics', 'next World Cup', 'next Eurovision', 'next G7 summit', 'next Super Bowl'))} be held?",
                f"What is the {pick(rng, ('record', 'world record', 'fastest time', 'highest score'))} for {pick(rng, ('the 100 m sprint', 'the marathon', 'a single NBA game', 'Rubik’s cube solving', 'the mile', 'the long jump'))}?",
                f"How many {pick(rng, ('people have climbed Mount Everest', 'countries use the euro', 'Starbucks stores are there', 'exoplanets have been discovered', 'known moons does Jupiter have', 'species are on the IUCN red list'))}?",
                f"Who {pick(rng, ('owns', 'chairs', 'manages', 'leads', 'coaches'))} {pick(rng, (team,) + COMPANIES)}?",
                f"What is the {pick(rng, ('newest', 'latest', 'most recent', 'current'))} {pick(rng, ('model of the iPhone', 'Pixel phone', 'PlayStation', 'Windows version', 'Call of Duty game', 'Pokémon game', 'FIFA video game'))}?",
                f"Which {pick(rng, ('film', 'album', 'book', 'show', 'song'))} won the {pick(rng, ('most recent', 'last', 'latest'))} {pick(rng, ('Oscar for Best Picture', 'Grammy for Album of the Year', 'Booker Prize', 'Emmy for Best Drama', 'Pulitzer Prize for Fiction'))}?",
                f"Is {pick(rng, ('Warren Buffett', 'the Queen', 'Pope Francis', 'Jimmy Carter', 'Bob Dylan', 'Paul McCartney'))} still alive?",
            ),
        ),
    )


def no_stable_specific(rng: random.Random) -> str:
    """Specific, sometimes obscure, facts about the past: they do not change, so no search is needed."""
    return maybe_lower(
        rng,
        pick(
            rng,
            (
                f"In which year did {pick(rng, ('the Battle of Waterloo', 'the Great Fire of London', 'the Boston Tea Party', 'the storming of the Bastille', 'the sinking of the Lusitania', 'the Apollo 13 mission', 'the first Tour de France', 'the Treaty of Westphalia'))} take place?",
                f"Who was the {pick(rng, ('first', 'second', 'third', 'last'))} {pick(rng, ('emperor of Rome', 'president of the United States', 'king of England after the Norman conquest', 'person to reach the summit of Everest', 'woman in space', 'Tsar of Russia'))}?",
                f"Which {pick(rng, ('river', 'city', 'country', 'mountain'))} is {pick(rng, ('the setting of Romeo and Juliet', 'named after Amerigo Vespucci', 'home to the Acropolis', 'where the Magna Carta was sealed', 'crossed by Caesar in 49 BC', 'where the Wright brothers first flew'))}?",
                f"What was the name of {pick(rng, ('the ship that brought the Pilgrims to Plymouth', 'the first cloned mammal', 'Napoleon’s final place of exile', 'the spacecraft that first landed on the Moon', 'the dog sent into orbit in 1957', 'the plane that dropped the first atomic bomb'))}?",
                f"Who {pick(rng, ('designed', 'discovered', 'composed', 'wrote', 'founded', 'built'))} {pick(rng, ('the Eiffel Tower', 'the structure of DNA', 'the Ninth Symphony', 'The Art of War', 'the Mongol Empire', 'the first practical steam engine', 'the Taj Mahal', 'On the Origin of Species', 'the Red Cross'))}?",
                f"What is the {pick(rng, ('atomic number', 'melting point', 'chemical formula', 'molar mass'))} of {pick(rng, ('iron', 'table salt', 'water', 'carbon dioxide', 'gold', 'methane', 'helium'))}?",
                f"How {pick(rng, ('long', 'tall', 'old'))} {pick(rng, ('was the Titanic', 'is the Great Pyramid of Giza', 'was the Colossus of Rhodes', 'is the Parthenon', 'was Methuselah said to be', 'is the Leaning Tower of Pisa'))}?",
                f"In what city was {pick(rng, ('the first Olympic Games of the modern era held', 'the Declaration of Independence signed', 'Mozart born', 'the League of Nations based', 'the printing press invented', 'the Treaty of Rome signed'))}?",
                f"Which {pick(rng, ('dynasty', 'empire', 'civilization'))} {pick(rng, ('built Angkor Wat', 'invented paper', 'built the Parthenon', 'used the quipu', 'built Petra', 'founded Baghdad'))}?",
                f"What does the {pick(rng, ('Latin', 'Greek', 'French', 'German'))} word {pick(rng, ('veritas', 'philosophia', 'liberté', 'Zeitgeist', 'kosmos', 'carpe'))} mean?",
            ),
        ),
    )


GENERATORS: dict[str, list[tuple[Gen, int]]] = {
    "HIGH": [
        (high_competition, 520),
        (high_proof, 150),
        (high_design, 130),
        (high_debug, 110),
        (high_algo, 120),
        (high_plan, 60),
        (high_other, 90),
        (high_word_puzzle, 160),
        (high_short_hard, 240),
    ],
    "LOW": [
        (low_word_problem, 420),
        (low_multi_step, 320),
        (low_wordy_math, 160),
        (low_easy_math, 420),
        (low_code, 160),
        (low_voice_calc, 110),
        (low_explain, 90),
        (low_tricky_looking, 260),
        (low_is_question, 80),
    ],
    "NO": [
        (no_smalltalk, 260),
        (no_translate, 170),
        (no_creative, 300),
        (no_rewrite, 100),
        (no_brainstorm, 90),
        (no_fact, 300),
        (no_is_question, 90),
        (no_stable_specific, 220),
    ],
    "RAG": [
        (rag_office, 170),
        (rag_price, 170),
        (rag_fx, 170),
        (rag_weather, 110),
        (rag_sports, 170),
        (rag_version, 140),
        (rag_fresh, 260),
        (rag_news, 110),
        (rag_slow_change, 260),
    ],
}


def generate(seed: int = SEED) -> Iterator[dict[str, str]]:
    rng = random.Random(seed)
    seen: set[str] = set()
    for label, gens in GENERATORS.items():
        for fn, count in gens:
            made, tries = 0, 0
            while made < count and tries < count * 20:
                tries += 1
                text = fn(rng)
                key = text.lower()
                if key in seen:
                    continue
                seen.add(key)
                made += 1
                yield {"text": text, "label": label, "note": f"templated:{fn.__name__}"}


def main() -> None:
    out = HERE / "templated.jsonl"
    rows = list(generate())
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main()
