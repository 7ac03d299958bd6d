"""Reference data for the generator: committees with their approximate membership, names, places.

Membership weights are estimates in thousands (DOMAIN.md: Hanoi ~500k, Thanh Hóa ~250k, Lai Châu ~31k);
only the proportions matter. Name frequencies follow published surname shares (Nguyễn ~38 %).
"""

from __future__ import annotations

# (code, file-number letters, Vietnamese name, weight). 34 provinces/cities after the 2025 merger,
# then the Army, Public Security and the four central blocks: 40 committees directly under the Centre.
COMMITTEES: list[tuple[str, str, str, int]] = [
    ("P01", "HN", "Đảng bộ thành phố Hà Nội", 500),
    ("P02", "HUE", "Đảng bộ thành phố Huế", 60),
    ("P03", "LC", "Đảng bộ tỉnh Lai Châu", 31),
    ("P04", "DB", "Đảng bộ tỉnh Điện Biên", 40),
    ("P05", "SL", "Đảng bộ tỉnh Sơn La", 70),
    ("P06", "LS", "Đảng bộ tỉnh Lạng Sơn", 50),
    ("P07", "QN", "Đảng bộ tỉnh Quảng Ninh", 90),
    ("P08", "TH", "Đảng bộ tỉnh Thanh Hóa", 250),
    ("P09", "NA", "Đảng bộ tỉnh Nghệ An", 220),
    ("P10", "HT", "Đảng bộ tỉnh Hà Tĩnh", 100),
    ("P11", "CB", "Đảng bộ tỉnh Cao Bằng", 40),
    ("P12", "TQ", "Đảng bộ tỉnh Tuyên Quang", 80),
    ("P13", "LCA", "Đảng bộ tỉnh Lào Cai", 75),
    ("P14", "TN", "Đảng bộ tỉnh Thái Nguyên", 90),
    ("P15", "PT", "Đảng bộ tỉnh Phú Thọ", 200),
    ("P16", "BN", "Đảng bộ tỉnh Bắc Ninh", 150),
    ("P17", "HY", "Đảng bộ tỉnh Hưng Yên", 180),
    ("P18", "HP", "Đảng bộ thành phố Hải Phòng", 220),
    ("P19", "NB", "Đảng bộ tỉnh Ninh Bình", 230),
    ("P20", "QT", "Đảng bộ tỉnh Quảng Trị", 100),
    ("P21", "DN", "Đảng bộ thành phố Đà Nẵng", 110),
    ("P22", "QNG", "Đảng bộ tỉnh Quảng Ngãi", 100),
    ("P23", "GL", "Đảng bộ tỉnh Gia Lai", 110),
    ("P24", "KH", "Đảng bộ tỉnh Khánh Hòa", 90),
    ("P25", "LD", "Đảng bộ tỉnh Lâm Đồng", 110),
    ("P26", "DL", "Đảng bộ tỉnh Đắk Lắk", 100),
    ("P27", "HCM", "Đảng bộ Thành phố Hồ Chí Minh", 450),
    ("P28", "DNA", "Đảng bộ tỉnh Đồng Nai", 110),
    ("P29", "TNI", "Đảng bộ tỉnh Tây Ninh", 100),
    ("P30", "CT", "Đảng bộ thành phố Cần Thơ", 100),
    ("P31", "VL", "Đảng bộ tỉnh Vĩnh Long", 130),
    ("P32", "DT", "Đảng bộ tỉnh Đồng Tháp", 110),
    ("P33", "CM", "Đảng bộ tỉnh Cà Mau", 70),
    ("P34", "AG", "Đảng bộ tỉnh An Giang", 120),
    ("QUTW", "QD", "Đảng bộ Quân đội", 300),
    ("CATW", "CA", "Đảng bộ Công an Trung ương", 200),
    ("DCQD", "DCQ", "Đảng bộ các cơ quan Đảng Trung ương", 20),
    ("DCP", "CP", "Đảng bộ Chính phủ", 150),
    ("DQH", "QH", "Đảng bộ Quốc hội", 5),
    ("DMT", "MT", "Đảng bộ Mặt trận Tổ quốc, các đoàn thể Trung ương", 10),
]
PROVINCE_COUNT = 34

# Commune-level units of a province: commune, ward, special zone (shares among the 3,321 since 1/7/2025).
COMMUNE_KINDS: list[tuple[str, int]] = [("xã", 2621), ("phường", 687), ("đặc khu", 13)]
UPPER_GRASSROOTS_PREFIX = "Đảng ủy"

PLACE_SYLLABLES = (
    "An Bình Phú Hòa Tân Long Thạnh Đông Tây Nam Bắc Hưng Thịnh Phước Mỹ Vĩnh Quang Minh Thuận Lộc "
    "Hải Sơn Thủy Lâm Hà Trung Nghĩa Đức Thành Phong Yên Hồng Xuân Kim Ngọc Cẩm Bảo Gia Lạc Hiệp Khánh"
).split()

GRASSROOTS_KINDS = [
    "Trường Trung học phổ thông", "Trường Trung học cơ sở", "Trường Tiểu học", "Trạm Y tế",
    "Công ty Cổ phần", "Bệnh viện", "Hợp tác xã", "Ban Quản lý dự án", "Chi cục Thuế", "Kho bạc Nhà nước",
    "Ngân hàng", "Trung tâm Văn hóa", "Công an", "Ban Chỉ huy Quân sự", "Cơ quan", "Nhà máy",
]  # fmt: skip
CELL_KINDS = ["thôn", "khu phố", "tổ dân phố", "bản", "ấp", "phòng", "tổ"]

FAMILY_NAMES: list[tuple[str, float]] = [
    ("Nguyễn", 38.4), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.0), ("Hoàng", 3.1), ("Huỳnh", 2.0),
    ("Phan", 4.5), ("Vũ", 2.2), ("Võ", 1.7), ("Đặng", 2.1), ("Bùi", 2.0), ("Đỗ", 1.4), ("Hồ", 1.3),
    ("Ngô", 1.3), ("Dương", 1.0), ("Lý", 0.5), ("Đinh", 0.8), ("Trịnh", 0.6), ("Đào", 0.6), ("Mai", 0.5),
    ("Cao", 0.5), ("Lương", 0.4), ("Tạ", 0.3), ("Hà", 0.5), ("Lò", 0.2), ("Lục", 0.1), ("Triệu", 0.2),
]  # fmt: skip
MIDDLE_MALE = ["Văn", "Đức", "Minh", "Hữu", "Quang", "Xuân", "Công", "Thanh", "Ngọc", "Đình", "Mạnh", "Tiến", "Trọng", "Quốc", "Anh"]
MIDDLE_FEMALE = ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Minh", "Hồng", "Phương", "Mai", "Thúy", "Bích", "Diệu", "Hoài"]
GIVEN_MALE = (
    "An Anh Bình Cường Dũng Đạt Đức Dương Giang Hải Hiếu Hiển Hòa Hoàng Hùng Hưng Huy Khải Khánh Khoa "
    "Kiên Lâm Lộc Long Mạnh Minh Nam Nghĩa Nguyên Phong Phúc Phương Quân Quang Quý Sơn Tài Tâm Tân Thắng "
    "Thành Thịnh Thông Tiến Toàn Trung Tú Tuấn Tùng Việt Vinh Vũ Đông Hậu Chiến Lực Sáng Trí Bảo"
).split()
GIVEN_FEMALE = (
    "An Anh Bích Châu Chi Dung Duyên Giang Hà Hằng Hạnh Hiền Hoa Hồng Huệ Hương Huyền Lan Liên Linh Loan "
    "Ly Mai My Nga Ngân Ngọc Nhung Oanh Phương Quyên Quỳnh Tâm Thảo Thơm Thu Thủy Thúy Thư Trang Trâm "
    "Tuyết Uyên Vân Vy Xuân Yến Diệp Hạnh Lụa Nhàn Hường Hoài Thoa Thắm"
).split()

# The 54 recognised ethnic groups (code, name) and a rough share in the Party for the generator.
ETHNICITIES: list[tuple[int, str]] = [
    (1, "Kinh"), (2, "Tày"), (3, "Thái"), (4, "Hoa"), (5, "Khmer"), (6, "Mường"), (7, "Nùng"),
    (8, "H'Mông"), (9, "Dao"), (10, "Gia Rai"), (11, "Ngái"), (12, "Ê Đê"), (13, "Ba Na"), (14, "Xơ Đăng"),
    (15, "Sán Chay"), (16, "Cơ Ho"), (17, "Chăm"), (18, "Sán Dìu"), (19, "Hrê"), (20, "Mnông"),
    (21, "Raglai"), (22, "Xtiêng"), (23, "Bru - Vân Kiều"), (24, "Thổ"), (25, "Giáy"), (26, "Cơ Tu"),
    (27, "Giẻ Triêng"), (28, "Mạ"), (29, "Khơ Mú"), (30, "Co"), (31, "Tà Ôi"), (32, "Chơ Ro"),
    (33, "Kháng"), (34, "Xinh Mun"), (35, "Hà Nhì"), (36, "Chu Ru"), (37, "Lào"), (38, "La Chí"),
    (39, "La Ha"), (40, "Phù Lá"), (41, "La Hủ"), (42, "Lự"), (43, "Lô Lô"), (44, "Chứt"), (45, "Mảng"),
    (46, "Pà Thẻn"), (47, "Cờ Lao"), (48, "Cống"), (49, "Bố Y"), (50, "Si La"), (51, "Pu Péo"),
    (52, "Brâu"), (53, "Ơ Đu"), (54, "Rơ Măm"),
]  # fmt: skip
ETHNICITY_WEIGHTS: dict[int, float] = {1: 88.0, 2: 2.2, 3: 1.9, 6: 1.6, 5: 0.6, 7: 1.1, 4: 0.3, 8: 0.5, 9: 0.6}
OTHER_ETHNICITY_WEIGHT = 0.1

RELIGIONS: list[tuple[str, float]] = [
    ("none", 93.0), ("buddhism", 4.0), ("catholicism", 1.8), ("protestantism", 0.2), ("cao_dai", 0.4),
    ("hoa_hao", 0.4), ("islam", 0.05), ("other", 0.15),
]  # fmt: skip
QUALIFICATIONS: list[tuple[str, float]] = [
    ("none", 14.0), ("vocational", 10.0), ("college", 8.0), ("bachelor", 55.0), ("master", 11.0), ("doctor", 2.0),
]  # fmt: skip
EDUCATION: list[tuple[str, float]] = [("12/12", 90.0), ("10/10", 7.0), ("9/12", 3.0)]
OCCUPATIONS = [
    "Cán bộ, công chức", "Viên chức", "Giáo viên", "Bác sĩ", "Kỹ sư", "Công nhân", "Nông dân",
    "Quân nhân", "Công an", "Kinh doanh", "Hưu trí", "Sinh viên", "Nhân viên văn phòng", "Lao động tự do",
]  # fmt: skip
