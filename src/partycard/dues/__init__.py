"""Party dues (đảng phí): the cell's record of each member's monthly payment, a member's own declaration
confirmed by the cell, and the arrears that Charter Art. 8(2) counts."""
