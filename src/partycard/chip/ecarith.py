"""Affine point arithmetic on the two PACE curves, for what ``cryptography`` cannot do: add two points.

PACE's generic mapping (ICAO 9303-11 §4.4.3.3.1) builds a new generator G' = s·G + H, where H is the
ECDH *point* (not only its x coordinate), and the ephemeral key pair lives on G'. ``cryptography``
computes k·G and x(k·P) but neither adds points nor multiplies a point that is not the curve's
generator, and no EC library is installed in the project's venv beside it (checked: only
``cryptography`` and ``asn1crypto``), so this module adds the group law of SEC 1 v2 §2.2.1 in affine
coordinates over F_p (y² = x³ + ax + b), with a double-and-add scalar multiplication.

It is *not* constant time: the terminal's and the chip's PACE keys are ephemeral (one session), and the
chip here is a simulation; a real card does this in its crypto co-processor. Every operation that
``cryptography`` can do (k·G, the final ECDH) is left to it.

Curve parameters: NIST P-256 from FIPS 186-4 §D.1.2.3 (= SEC 2 v2 §2.4.2 secp256r1) and
brainpoolP256r1 from RFC 5639 §3.4; the PACE standardized domain parameter IDs 12 and 13 of 9303-11
§9.5.1 Table 6. Both have cofactor 1, so every point other than infinity has order n.
"""

from __future__ import annotations

from dataclasses import dataclass

from partycard.chip.errors import ChipFormatError

__all__ = ["BRAINPOOL_P256R1", "CURVES", "P256", "Curve", "Point"]

#: A point in affine coordinates; None is the point at infinity (the group's neutral element).
Point = tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class Curve:
    """Short Weierstrass curve y² = x³ + ax + b over F_p with base point (gx, gy) of prime order n."""

    name: str
    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int

    @property
    def size(self) -> int:
        """Bytes of one coordinate (32 for both curves)."""
        return (self.p.bit_length() + 7) // 8

    @property
    def g(self) -> Point:
        return (self.gx, self.gy)

    def contains(self, point: Point) -> bool:
        """Whether ``point`` is a finite point of the curve (SEC 1 v2 §3.2.2.1 steps 2-3)."""
        if point is None:
            return False
        x, y = point
        if not (0 <= x < self.p and 0 <= y < self.p):
            return False
        return (y * y - (x * x * x + self.a * x + self.b)) % self.p == 0

    def add(self, p1: Point, p2: Point) -> Point:
        """P1 + P2 by the group law (SEC 1 v2 §2.2.1, rules 1-5)."""
        if p1 is None:
            return p2
        if p2 is None:
            return p1
        (x1, y1), (x2, y2) = p1, p2
        p = self.p
        if x1 == x2:
            if (y1 + y2) % p == 0:
                return None  # rule 3: P + (-P) = O (also doubling a point with y = 0)
            slope = (3 * x1 * x1 + self.a) * pow(2 * y1, -1, p) % p  # rule 5: doubling
        else:
            slope = (y2 - y1) * pow(x2 - x1, -1, p) % p  # rule 4
        x3 = (slope * slope - x1 - x2) % p
        return (x3, (slope * (x1 - x3) - y1) % p)

    def multiply(self, k: int, point: Point) -> Point:
        """k·P (k mod n): left-to-right double-and-add in Jacobian coordinates, one inversion at the end.

        Jacobian (X, Y, Z) stands for the affine (X/Z², Y/Z³), Z = 0 for infinity. Doubling and mixed
        addition use the general-a formulas of Hankerson, Menezes, Vanstone, *Guide to Elliptic Curve
        Cryptography* §3.2.2; the tests check them against ``cryptography``'s k·G and the ICAO vectors.
        """
        k %= self.n
        if point is None or k == 0:
            return None
        p, a = self.p, self.a
        px, py = point
        x, y, z = px, py, 1
        for bit in bin(k)[3:]:
            if z:  # double
                if y == 0:
                    z = 0
                else:
                    yy = y * y % p
                    s = 4 * x * yy % p
                    zz = z * z % p
                    m = (3 * x * x + a * zz * zz) % p
                    z = 2 * y * z % p
                    x = (m * m - 2 * s) % p
                    y = (m * (s - x) - 8 * yy * yy) % p
            if bit == "1":  # add the affine P (mixed addition, Z2 = 1)
                if not z:
                    x, y, z = px, py, 1
                    continue
                zz = z * z % p
                u2 = px * zz % p
                s2 = py * zz * z % p
                h = (u2 - x) % p
                r = (s2 - y) % p
                if h == 0:
                    if r:
                        z = 0  # P + (-P)
                        continue
                    yy = y * y % p  # P + P: double instead
                    s = 4 * x * yy % p
                    m = (3 * x * x + a * zz * zz) % p
                    z = 2 * y * z % p
                    x = (m * m - 2 * s) % p
                    y = (m * (s - x) - 8 * yy * yy) % p
                    continue
                hh = h * h % p
                hhh = hh * h % p
                v = x * hh % p
                x3 = (r * r - hhh - 2 * v) % p
                y = (r * (v - x3) - y * hhh) % p
                x = x3
                z = z * h % p
        if not z:
            return None
        zi = pow(z, -1, p)
        zi2 = zi * zi % p
        return (x * zi2 % p, y * zi2 * zi % p)

    def encode(self, point: Point) -> bytes:
        """The uncompressed encoding 04 || X || Y (SEC 1 v2 §2.3.3), as PACE's data objects carry it."""
        if point is None:
            raise ValueError("the point at infinity has no uncompressed encoding")
        x, y = point
        return b"\x04" + x.to_bytes(self.size, "big") + y.to_bytes(self.size, "big")

    def decode(self, data: bytes) -> Point:
        """An uncompressed point that lies on the curve (SEC 1 v2 §2.3.4 and the §3.2.2.1 checks).

        Raises:
            ChipFormatError: not 04 || X || Y of this curve's size, or not a point of the curve.
        """
        size = self.size
        if len(data) != 1 + 2 * size or data[0] != 0x04:
            raise ChipFormatError("not an uncompressed point of this curve")
        point = (int.from_bytes(data[1 : 1 + size], "big"), int.from_bytes(data[1 + size :], "big"))
        if not self.contains(point):
            raise ChipFormatError("the point is not on the curve")
        return point


#: NIST P-256 (FIPS 186-4 §D.1.2.3), PACE parameter ID 12.
P256 = Curve(
    "secp256r1",
    p=0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF,
    a=0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC,
    b=0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
    gx=0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    gy=0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
    n=0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
)

#: brainpoolP256r1 (RFC 5639 §3.4), PACE parameter ID 13.
BRAINPOOL_P256R1 = Curve(
    "brainpoolP256r1",
    p=0xA9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377,
    a=0x7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9,
    b=0x26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6,
    gx=0x8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262,
    gy=0x547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997,
    n=0xA9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7,
)

#: By the standardized domain parameter ID of 9303-11 §9.5.1 Table 6.
CURVES: dict[int, Curve] = {12: P256, 13: BRAINPOOL_P256R1}
