"""Member rows for the generator: realistic Vietnamese names, ages, dates and valid citizen IDs.

Rows are produced per chunk of member ids from a random stream seeded by (seed, chunk), so any chunk can
be regenerated alone, byte for byte: that is what makes a crashed seed resumable without duplicates.
Uniqueness is by construction, not by lookup (nothing national is held in memory):

* citizen ID: serial = a bijection of (id mod 10^6); the birth-province code is shifted by id // 10^6,
  so two members sharing a serial differ in province (unique for up to 63 million members);
* old card number: a bijection of id on 8 digits; file number: the member's rank in its committee plus
  the committee's letters.

The standing columns the exchange's eligibility reads (under discipline or inspection, months of dues
unpaid or of party activities skipped and whether for a good reason, activities suspended, a transfer in
progress, abroad) come from a second random stream per block, so adding them left every other column of
every row as it was. Recorded months are the months just before the reference date.
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

from partycard.core.text import fold
from partycard.registry.seeding import data

__all__ = ["COLUMNS", "MemberPlan", "chunk_copy_text", "chunk_lines", "chunk_rows"]

# Distinct (ethnicity, religion, education, qualification, occupation) profiles drawn per process.
PROFILE_POOL = 16_384

# Ids per random stream: a chunk is any whole number of blocks, or a slice of one.
BLOCK = 1000

# The COPY column order; chunk_rows yields tuples in this order.
COLUMNS = (
    "id",
    "organisation_id",
    "full_name",
    "birth_name",
    "alias",
    "name_search",
    "gender",
    "date_of_birth",
    "place_of_birth",
    "home_town",
    "permanent_address",
    "temporary_address",
    "ethnicity_id",
    "religion",
    "general_education",
    "qualification",
    "occupation",
    "citizen_id",
    "file_number",
    "old_card_number",
    "date_admitted",
    "date_official",
    "status",
    "status_changed_on",
    "photo",
    "phone",
    "created_at",
    "updated_at",
    "under_discipline",
    "under_inspection",
    "dues_unpaid_months",
    "dues_unpaid_good_reason",
    "activities_skipped_months",
    "activities_skipped_good_reason",
    "activities_suspended",
    "transfer_in_progress",
    "abroad",
)

_PROVINCES = [  # birth-registration codes (registry.citizen_id.PROVINCE_CODES), kept Django-free here
    ("001", "Hà Nội"),
    ("002", "Hà Giang"),
    ("004", "Cao Bằng"),
    ("006", "Bắc Kạn"),
    ("008", "Tuyên Quang"),
    ("010", "Lào Cai"),
    ("011", "Điện Biên"),
    ("012", "Lai Châu"),
    ("014", "Sơn La"),
    ("015", "Yên Bái"),
    ("017", "Hòa Bình"),
    ("019", "Thái Nguyên"),
    ("020", "Lạng Sơn"),
    ("022", "Quảng Ninh"),
    ("024", "Bắc Giang"),
    ("025", "Phú Thọ"),
    ("026", "Vĩnh Phúc"),
    ("027", "Bắc Ninh"),
    ("030", "Hải Dương"),
    ("031", "Hải Phòng"),
    ("033", "Hưng Yên"),
    ("034", "Thái Bình"),
    ("035", "Hà Nam"),
    ("036", "Nam Định"),
    ("037", "Ninh Bình"),
    ("038", "Thanh Hóa"),
    ("040", "Nghệ An"),
    ("042", "Hà Tĩnh"),
    ("044", "Quảng Bình"),
    ("045", "Quảng Trị"),
    ("046", "Thừa Thiên Huế"),
    ("048", "Đà Nẵng"),
    ("049", "Quảng Nam"),
    ("051", "Quảng Ngãi"),
    ("052", "Bình Định"),
    ("054", "Phú Yên"),
    ("056", "Khánh Hòa"),
    ("058", "Ninh Thuận"),
    ("060", "Bình Thuận"),
    ("062", "Kon Tum"),
    ("064", "Gia Lai"),
    ("066", "Đắk Lắk"),
    ("067", "Đắk Nông"),
    ("068", "Lâm Đồng"),
    ("070", "Bình Phước"),
    ("072", "Tây Ninh"),
    ("074", "Bình Dương"),
    ("075", "Đồng Nai"),
    ("077", "Bà Rịa - Vũng Tàu"),
    ("079", "Hồ Chí Minh"),
    ("080", "Long An"),
    ("082", "Tiền Giang"),
    ("083", "Bến Tre"),
    ("084", "Trà Vinh"),
    ("086", "Vĩnh Long"),
    ("087", "Đồng Tháp"),
    ("089", "An Giang"),
    ("091", "Kiên Giang"),
    ("092", "Cần Thơ"),
    ("093", "Hậu Giang"),
    ("094", "Sóc Trăng"),
    ("095", "Bạc Liêu"),
    ("096", "Cà Mau"),
]

# Age at the reference date: (lowest, highest, weight).
_AGE_BANDS = [(19, 30, 10), (30, 40, 21), (40, 50, 22), (50, 60, 20), (60, 70, 14), (70, 80, 9), (80, 96, 4)]
_OTHER_STATUSES = [
    ("deceased", 0.5),
    ("removed", 0.3),
    ("expelled", 0.1),
    ("resigned", 0.1),
]


# Standing of an active member (official or probationary), as shares of them; the rest is in good standing.
# Each member has at most one of these. Postponing: discipline, inspection, activities suspended, transfer;
# refusing (Charter Art. 8(2)): 3 months or more of dues unpaid, or of activities skipped, within the year
# without good reason. Eligible: 1–2 months, 3 or more with a good reason, abroad (the card is held for them).
# Columns: discipline, inspection, dues months, good reason, activity months, good reason, suspended,
# transfer, abroad.
_GOOD_STANDING = "\t0\t0\t[]\t0\t[]\t0\t0\t0\t0"
_STANDING: list[tuple[float, str]] = [  # (cumulative share, columns, or "kind:months[:good]" to draw)
    (0.004, "\t1\t0\t[]\t0\t[]\t0\t0\t0\t0"),  # under disciplinary review
    (0.007, "\t0\t1\t[]\t0\t[]\t0\t0\t0\t0"),  # under inspection or complaint review
    (0.015, "\t0\t0\t[]\t0\t[]\t0\t0\t1\t0"),  # transfer in progress
    (0.017, "\t0\t0\t[]\t0\t[]\t0\t0\t0\t1"),  # abroad
    (0.019, "\t0\t0\t[]\t0\t[]\t0\t1\t0\t0"),  # party activities suspended
    (0.067, "dues:1-2"),  # 1–2 months of dues unpaid
    (0.072, "dues:3-12"),  # 3–12 months of dues unpaid, no good reason
    (0.074, "dues:3-12:good"),  # the same with a good reason
    (0.078, "activities:1-2"),
    (0.080, "activities:3-12"),
]
_STANDING_ANY = _STANDING[-1][0]


def _recent_months(reference: dt.date) -> list[str]:
    """The twelve months before ``reference``'s month, newest first, as the record stores them."""
    index = reference.year * 12 + reference.month - 2
    return [f"{(index - k) // 12:04d}-{(index - k) % 12 + 1:02d}" for k in range(12)]


def _standing(draw: float, months: float, recent: list[str]) -> str:
    """The standing columns of an active member whose draw fell below :data:`_STANDING_ANY`."""
    for share, columns in _STANDING:
        if draw < share:
            if not columns.startswith(("dues:", "activities:")):
                return columns
            kind, span, *good = columns.split(":")
            count = 1 + int(months * 2) if span == "1-2" else 3 + int(months * 10)
            listed = "[" + ",".join(f'"{m}"' for m in sorted(recent[:count])) + "]"
            reason = "1" if good else "0"
            if kind == "dues":
                return f"\t0\t0\t{listed}\t{reason}\t[]\t0\t0\t0\t0"
            return f"\t0\t0\t[]\t0\t{listed}\t{reason}\t0\t0\t0"
    return _GOOD_STANDING


def _cum(weighted: list[tuple[str, float]]) -> tuple[list[str], list[float]]:
    return [v for v, _ in weighted], list(accumulate(w for _, w in weighted))


@dataclass(frozen=True)
class MemberPlan:
    """Everything a worker needs to produce any chunk: small, picklable, no Django."""

    seed: int
    holding_ids: tuple[int, ...]
    holding_ends: tuple[
        int, ...
    ]  # cumulative member counts: member id i is in holding k if ends[k-1] < i ≤ ends[k]
    holding_committee: tuple[int, ...]
    committee_first_id: tuple[int, ...]  # first member id of each committee (members are in committee order)
    reference_date: dt.date
    timestamp: str  # created_at/updated_at of every seeded row

    @property
    def members(self) -> int:
        return self.holding_ends[-1] if self.holding_ends else 0


class _Tables:
    """Precomputed draws shared by all chunks of one process."""

    def __init__(self) -> None:
        self.family, self.family_cw = _cum(data.FAMILY_NAMES)
        eth = [
            (str(code), data.ETHNICITY_WEIGHTS.get(code, data.OTHER_ETHNICITY_WEIGHT))
            for code, _ in data.ETHNICITIES
        ]
        self.eth, self.eth_cw = _cum(eth)
        self.rel, self.rel_cw = _cum(data.RELIGIONS)
        self.qual, self.qual_cw = _cum(data.QUALIFICATIONS)
        self.edu, self.edu_cw = _cum(data.EDUCATION)
        # (lowest age in days, span in days) per band
        self.band = [(lo * 365 + 1, (hi - lo) * 365) for lo, hi, _ in _AGE_BANDS]
        self.band_cw = list(accumulate(w for _, _, w in _AGE_BANDS))
        self.folds = {
            p: fold(p)
            for p in self.family + data.MIDDLE_MALE + data.MIDDLE_FEMALE + data.GIVEN_MALE + data.GIVEN_FEMALE
        }
        self._iso: dict[int, str] = {}
        self.other, self.other_cw = _cum(_OTHER_STATUSES)
        self.letters = [c[1] for c in data.COMMITTEES]

        # "full name<TAB>birth name<TAB>alias<TAB>folded name" per [family][middle][given], by gender.
        def names(middles: list[str], givens: list[str]) -> list[list[list[str]]]:
            return [
                [[f"{f} {m} {g}\t\t\t{fold(f)} {fold(m)} {fold(g)}" for g in givens] for m in middles]
                for f in self.family
            ]

        self.names_m = names(data.MIDDLE_MALE, data.GIVEN_MALE)
        self.names_f = names(data.MIDDLE_FEMALE, data.GIVEN_FEMALE)
        self.n_mm, self.n_gm = len(data.MIDDLE_MALE), len(data.GIVEN_MALE)
        self.n_mf, self.n_gf = len(data.MIDDLE_FEMALE), len(data.GIVEN_FEMALE)
        # place of birth, home town, permanent and temporary address (blank), per province code.
        self.provinces = [(code, f"{name}\t{name}\t\t\t") for code, name in _PROVINCES]
        self.yy = [f"{y:02d}" for y in range(100)]
        # A pool of ethnicity/religion/education/qualification/occupation profiles drawn with the
        # configured shares, so the hot loop makes one draw instead of five.
        pool = random.Random("partycard-profiles")
        self.profiles = [
            f"{e}\t{r}\t{ed}\t{q}\t{o}"
            for e, r, ed, q, o in zip(
                pool.choices(self.eth, cum_weights=self.eth_cw, k=PROFILE_POOL),
                pool.choices(self.rel, cum_weights=self.rel_cw, k=PROFILE_POOL),
                pool.choices(self.edu, cum_weights=self.edu_cw, k=PROFILE_POOL),
                pool.choices(self.qual, cum_weights=self.qual_cw, k=PROFILE_POOL),
                pool.choices(data.OCCUPATIONS, k=PROFILE_POOL),
                strict=True,
            )
        ]

    def iso_dates(self, ref_ord: int) -> dict[int, str]:
        """ISO text of every date a member can have (birth 100 years back to the reference date)."""
        if not self._iso:
            self._iso = {
                o: dt.date.fromordinal(o).isoformat() for o in range(ref_ord - 100 * 366, ref_ord + 1)
            }
        return self._iso


_TABLES: _Tables | None = None


def _tables() -> _Tables:
    global _TABLES
    if _TABLES is None:
        _TABLES = _Tables()
    return _TABLES


def chunk_lines(plan: MemberPlan, first_id: int, last_id: int) -> list[str]:
    """Member rows for ids ``first_id..last_id`` inclusive, as COPY text lines in :data:`COLUMNS` order.

    PostgreSQL loads the lines as they are; SQLite splits them (:func:`chunk_rows`). The random stream
    restarts at every block of :data:`BLOCK` ids, so a row does not depend on how the ids were chunked.
    """
    lines: list[str] = []
    for block in range((first_id - 1) // BLOCK, (last_id - 1) // BLOCK + 1):
        block_first = block * BLOCK + 1
        rows = _block_lines(plan, block_first, min((block + 1) * BLOCK, plan.members))
        lines.extend(rows[max(first_id, block_first) - block_first : last_id - block_first + 1])
    return lines


def _block_lines(plan: MemberPlan, first_id: int, last_id: int) -> list[str]:
    """One block's rows. The hot loop: ~15 random draws and one f-string per member; names, profiles
    (ethnicity, religion, education, qualification, occupation) and places come prebuilt from tables."""
    t = _tables()
    rng = random.Random(f"partycard-members:{plan.seed}:{first_id}")
    standing_draw = random.Random(f"partycard-standing:{plan.seed}:{first_id}").random
    ref_ord = plan.reference_date.toordinal()
    iso = t.iso_dates(ref_ord)
    tail = f"\t{plan.timestamp}\t{plan.timestamp}"
    recent = _recent_months(plan.reference_date)
    lines: list[str] = []
    k = bisect_right(plan.holding_ends, first_id - 1)
    rand, choices = rng.random, rng.choices
    n = last_id - first_id + 1
    families = choices(range(len(t.family)), cum_weights=t.family_cw, k=n)
    bands = choices(t.band, cum_weights=t.band_cw, k=n)
    names_m, names_f, n_mm, n_gm, n_mf, n_gf = t.names_m, t.names_f, t.n_mm, t.n_gm, t.n_mf, t.n_gf
    profiles, n_profiles = t.profiles, len(t.profiles)
    provinces, yy = t.provinces, t.yy
    ends, holding_ids, holding_committee = plan.holding_ends, plan.holding_ids, plan.holding_committee
    committee_first_id, letters = plan.committee_first_id, t.letters
    for offset in range(n):
        mid = first_id + offset
        while ends[k] < mid:
            k += 1
        committee = holding_committee[k]
        female = rand() < 0.38
        if female:
            name = names_f[families[offset]][int(rand() * n_mf)][int(rand() * n_gf)]
        else:
            name = names_m[families[offset]][int(rand() * n_mm)][int(rand() * n_gm)]
        lo, span = bands[offset]
        dob_ord = ref_ord - lo - int(rand() * span)
        dob = iso[dob_ord]
        year = int(dob[:4])
        # ~3.5 % admitted in the last year (still probationary); the rest between 18.5 and ~40 years of
        # age and at least 400 days ago. Never before the 18th birthday (6,760 days = 18.5 years).
        latest = min(14_560, ref_ord - dob_ord - 400)
        if rand() < 0.035 or latest <= 6760:
            admit_ord = max(ref_ord - 1 - int(rand() * 365), dob_ord + 6760)
        else:
            admit_ord = dob_ord + 6760 + int(rand() * (latest - 6760))
        official_ord = admit_ord + 366 + int(rand() * 90)  # 12 months of probation (+ up to 3 months)
        low = mid % 1_000_000
        prov_code, places = provinces[(low * 2_654_435_761 % 63 + mid // 1_000_000) % 63]
        if rand() > 0.003:
            serial = (low * 7919 + 104_729) % 1_000_000
            citizen_id = f"{prov_code}{(year >= 2000) * 2 + female}{yy[year % 100]}{serial:06d}"
        else:
            citizen_id = "\\N"
        draw = standing_draw()
        standing = _standing(draw, standing_draw(), recent) if draw < _STANDING_ANY else _GOOD_STANDING
        if official_ord > ref_ord:
            state = "\\N\tprobationary\t\\N"
            old_card = "\\N"
        else:
            if rand() < 0.014:
                other = choices(t.other, cum_weights=t.other_cw)[0]
                changed = iso[official_ord + int(rand() * (ref_ord - official_ord))]
                state = f"{iso[official_ord]}\t{other}\t{changed}"
                standing = _GOOD_STANDING  # no longer a member: no standing kept
            else:
                state = f"{iso[official_ord]}\tofficial\t\\N"
            old_card = f"{(mid * 48271 + 12345) % 100_000_000:08d}" if rand() > 0.01 else "\\N"
        rank = mid - committee_first_id[committee] + 1
        file_number = f"{rank:06d}{letters[committee]}" if rank < 1_000_000 else "\\N"
        phone = f"0{3 + 2 * int(rand() * 4)}{int(rand() * 100_000_000):08d}" if rand() < 0.9 else ""
        lines.append(
            f"{mid}\t{holding_ids[k]}\t{name}\t{'F' if female else 'M'}\t{dob}\t{places}"
            f"{profiles[int(rand() * n_profiles)]}\t{citizen_id}\t{file_number}\t{old_card}\t"
            f"{iso[admit_ord]}\t{state}\t\t{phone}{tail}{standing}"
        )
    return lines


def chunk_rows(plan: MemberPlan, first_id: int, last_id: int) -> list[tuple[str | None, ...]]:
    """The same rows as tuples of text (``None`` for NULL), for databases without COPY."""
    return [
        tuple(None if v == "\\N" else v for v in line.split("\t"))
        for line in chunk_lines(plan, first_id, last_id)
    ]


def chunk_copy_text(plan: MemberPlan, first_id: int, last_id: int) -> bytes:
    """The same rows in PostgreSQL's COPY text format (no value contains a tab, newline or backslash)."""
    lines = chunk_lines(plan, first_id, last_id)
    lines.append("")
    return "\n".join(lines).encode()


_WORKER_PLAN: MemberPlan | None = None


def worker_init(plan: MemberPlan) -> None:
    """Process-pool initializer: the plan is sent once per worker, not with every chunk."""
    global _WORKER_PLAN
    _WORKER_PLAN = plan


def worker_chunk(first_id: int, last_id: int) -> bytes:
    """One chunk of COPY text, in a worker process (this module imports no Django, so spawn is cheap)."""
    assert _WORKER_PLAN is not None, "worker_init was not called"
    return chunk_copy_text(_WORKER_PLAN, first_id, last_id)
