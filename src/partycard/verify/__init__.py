"""One verdict API over chip, QR and SD-JWT. Pure library: no Django. Built in the e-card issue."""
