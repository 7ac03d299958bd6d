"""Citizen ID (CCCD, 12 digits) structure checks.

Layout (Circular 07/2016/TT-BCA, art. 7): 3 digits birth-registration province code, 1 digit century and
gender, 2 digits year of birth, 6 serial digits. There is no check digit, so these structural checks and
the cross-check against the citizen registry are all that can be done offline.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

__all__ = ["PROVINCE_CODES", "century_gender_digit", "citizen_id_issues"]

# The 63 pre-2025 province codes (001–096 with gaps), still used for IDs issued after the 2025 merger.
PROVINCE_CODES: dict[str, str] = {
    "001": "Hà Nội",
    "002": "Hà Giang",
    "004": "Cao Bằng",
    "006": "Bắc Kạn",
    "008": "Tuyên Quang",
    "010": "Lào Cai",
    "011": "Điện Biên",
    "012": "Lai Châu",
    "014": "Sơn La",
    "015": "Yên Bái",
    "017": "Hòa Bình",
    "019": "Thái Nguyên",
    "020": "Lạng Sơn",
    "022": "Quảng Ninh",
    "024": "Bắc Giang",
    "025": "Phú Thọ",
    "026": "Vĩnh Phúc",
    "027": "Bắc Ninh",
    "030": "Hải Dương",
    "031": "Hải Phòng",
    "033": "Hưng Yên",
    "034": "Thái Bình",
    "035": "Hà Nam",
    "036": "Nam Định",
    "037": "Ninh Bình",
    "038": "Thanh Hóa",
    "040": "Nghệ An",
    "042": "Hà Tĩnh",
    "044": "Quảng Bình",
    "045": "Quảng Trị",
    "046": "Thừa Thiên Huế",
    "048": "Đà Nẵng",
    "049": "Quảng Nam",
    "051": "Quảng Ngãi",
    "052": "Bình Định",
    "054": "Phú Yên",
    "056": "Khánh Hòa",
    "058": "Ninh Thuận",
    "060": "Bình Thuận",
    "062": "Kon Tum",
    "064": "Gia Lai",
    "066": "Đắk Lắk",
    "067": "Đắk Nông",
    "068": "Lâm Đồng",
    "070": "Bình Phước",
    "072": "Tây Ninh",
    "074": "Bình Dương",
    "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu",
    "079": "Hồ Chí Minh",
    "080": "Long An",
    "082": "Tiền Giang",
    "083": "Bến Tre",
    "084": "Trà Vinh",
    "086": "Vĩnh Long",
    "087": "Đồng Tháp",
    "089": "An Giang",
    "091": "Kiên Giang",
    "092": "Cần Thơ",
    "093": "Hậu Giang",
    "094": "Sóc Trăng",
    "095": "Bạc Liêu",
    "096": "Cà Mau",
}


def century_gender_digit(*, year: int, female: bool) -> int:
    """The 4th digit: 0/1 for the 1900s (male/female), 2/3 for the 2000s, …, 8/9 for the 1800s."""
    century_index = {1900: 0, 2000: 1, 2100: 2, 2200: 3, 1800: 4}[year // 100 * 100]
    return century_index * 2 + int(female)


def citizen_id_issues(value: str, *, date_of_birth: dt.date | None, female: bool | None) -> list[str]:
    """Every reason ``value`` is not a well-formed citizen ID for this person (empty if it is).

    The birth date and gender are optional so that the format can be checked alone (e.g. in a search box).
    """
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        return [_("must be exactly 12 digits (got %(length)d characters)") % {"length": len(value)}]
    issues: list[str] = []
    province = value[:3]
    if province not in PROVINCE_CODES:
        issues.append(
            _(
                "province code %(code)s does not exist "
                "(the first 3 digits must be one of the 63 codes 001–096)"
            )
            % {"code": province}
        )
    if date_of_birth is not None and female is not None:
        if not 1800 <= date_of_birth.year < 2300:
            return issues
        expected_digit = century_gender_digit(year=date_of_birth.year, female=female)
        if int(value[3]) != expected_digit:
            issues.append(
                _("digit 4 is %(digit)s but a %(gender)s born in %(year)d must have %(expected)d")
                % {
                    "digit": value[3],
                    "gender": _("woman") if female else _("man"),
                    "year": date_of_birth.year,
                    "expected": expected_digit,
                }
            )
        if value[4:6] != f"{date_of_birth.year % 100:02d}":
            issues.append(
                _("digits 5–6 are %(digits)s but the year of birth is %(year)d")
                % {"digits": value[4:6], "year": date_of_birth.year}
            )
    return issues
