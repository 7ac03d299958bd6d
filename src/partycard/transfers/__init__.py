"""Transfer of party activity (chuyển sinh hoạt đảng): official, temporary or internal, from the sending
committee's introduction letter to the receiving cell's confirmation by the member's e-card."""
