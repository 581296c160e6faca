// libqrencode from Debian's libqrencode-dev: QR codes for the authenticator app at TOTP enrolment.
#include <qrencode.h>
