"""The member's app (an installable PWA): the device-bound e-card with its rotating QR, the member's own
record, card, meetings, procedures and dues, read from the apps that own them."""
