"""Electronic party card (signed QR, SD-JWT VC, status list). Pure library: no Django. Built in the e-card issue."""
