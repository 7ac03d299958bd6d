"""The files exchanged with the card manufacturer: the batch, the key report, the SOD file and the
production report (their content, encoding and sealing). Pure library: both sides use it."""
