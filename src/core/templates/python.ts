// Python handler sources for the authorizer templates. Standard library only: Lambda's Python
// runtime has no third-party packages unless you ship them, so RS256 is verified by hand.
// Generated code uses no backslashes, so these strings need no escaping beyond `\${`.
import type { TemplateValues } from './values';

function common(v: TemplateValues, deviceIdPattern: boolean): string {
  return `REGION = os.environ.get('AWS_REGION', '${v.defaultRegion}')
# Lambda sets no account id variable: set ${v.accountIdEnv} on the function.
ACCOUNT_ID = os.environ.get('${v.accountIdEnv}', '${v.defaultAccountId}')
${deviceIdPattern ? `# AWS accepts a principalId of letters and digits only, 1 to ${v.principalMaxLength} characters.
DEVICE_ID = re.compile('[A-Za-z0-9]{1,${v.principalMaxLength}}')
` : ''}

def device_policy(device_id):
    arn = f'arn:aws:iot:{REGION}:{ACCOUNT_ID}'
    return {
        'Version': '${v.policyVersion}',
        'Statement': [
            # MQTT and MQTT over WebSocket clients need iot:Connect; HTTPS publish does not.
            {'Effect': 'Allow', 'Action': 'iot:Connect', 'Resource': arn + ':client/\${iot:ClientId}'},
            {'Effect': 'Allow', 'Action': ['iot:Publish', 'iot:Receive'], 'Resource': f'{arn}:topic/devices/{device_id}/*'},
            {'Effect': 'Allow', 'Action': 'iot:Subscribe', 'Resource': f'{arn}:topicfilter/devices/{device_id}/*'},
        ],
    }


def allow(device_id):
    return {
        'isAuthenticated': True,
        'principalId': device_id,
        'disconnectAfterInSeconds': ${v.disconnectSeconds},
        'refreshAfterInSeconds': ${v.refreshSeconds},
        'policyDocuments': [device_policy(device_id)],
    }


def deny(reason):
    # The reason goes to the function's log, never to the device. Never log passwords or keys.
    print(f'Denied: {reason}')
    return {
        'isAuthenticated': False,
        'principalId': 'denied',
        'disconnectAfterInSeconds': ${v.minSeconds},
        'refreshAfterInSeconds': ${v.minSeconds},
        'policyDocuments': [],
    }


def mqtt_client_mismatch(event, device_id):
    """An MQTT client must connect with its device id as client id (HTTPS publish has no MQTT data)."""
    mqtt = event.get('protocolData', {}).get('mqtt')
    return mqtt is not None and mqtt.get('clientId') != device_id
`;
}

export function pythonSignedToken(v: TemplateValues): string {
  return `"""AWS IoT Core custom authorizer "${v.name}": signed tokens.

Signing is enabled: AWS IoT verifies the token's signature with the authorizer's public key
before it calls this function, so only tokens signed with your private key reach it. The
token names the device and when it expires: "<deviceId>:<expiresAt in Unix seconds>", e.g.
"${v.sampleToken}". Devices send it in the "${v.tokenKeyName}" header, query parameter or
MQTT username parameter, with its signature in x-amz-customauthorizer-signature.
"""
import os
import re
import time

${common(v, false)}

# "<deviceId>:<expiresAt>"; AWS accepts a principalId of letters and digits only, 1 to ${v.principalMaxLength} characters.
TOKEN = re.compile('([A-Za-z0-9]{1,${v.principalMaxLength}}):([0-9]{1,12})')


def lambda_handler(event, context):
    # True only when AWS verified the signature: refuse anything else.
    if event.get('signatureVerified') is not True:
        return deny('the token signature was not verified')
    match = TOKEN.fullmatch(event.get('token') or '')
    if not match:
        return deny('the token is not "<deviceId>:<expiresAt>"')
    device_id, expires_at = match.group(1), int(match.group(2))
    if expires_at <= time.time():
        return deny('the token has expired')
    if mqtt_client_mismatch(event, device_id):
        return deny('the MQTT client id is not the device id of the token')
    return allow(device_id)
`;
}

export function pythonUsernamePassword(v: TemplateValues): string {
  return `"""AWS IoT Core custom authorizer "${v.name}": MQTT username and password.

Signing is disabled, so AWS IoT calls this function for every connection attempt, signed or
not: it must check everything itself. Devices connect over MQTT (port 443, ALPN mqtt) or MQTT
over WebSocket with their device id as client id and user name, and their password.
"""
import base64
import binascii
import hashlib
import hmac
import os
import re

${common(v, true)}

# SHA-256 of each device's password (hex). Replace with a lookup in your device registry or
# Secrets Manager: keep only hashes, and give devices long random passwords.
PASSWORD_SHA256 = {
    '${v.sampleDevice}': '${v.samplePasswordSha256}',
}


def lambda_handler(event, context):
    mqtt = event.get('protocolData', {}).get('mqtt')
    if mqtt is None or 'password' not in mqtt:
        return deny('no MQTT username and password (HTTPS publish has none)')
    # The user name may carry ?x-amz-customauthorizer-name=... and SDK parameters after it.
    username = (mqtt.get('username') or '').split('?', 1)[0]
    if not DEVICE_ID.fullmatch(username):
        return deny('the user name is not a device id (letters and digits)')
    # The password reaches the authorizer base64-encoded.
    try:
        password = base64.b64decode(mqtt['password'], validate=True)
    except (binascii.Error, ValueError):
        return deny('the password is not base64')
    actual = hashlib.sha256(password).hexdigest()
    if not hmac.compare_digest(actual, PASSWORD_SHA256.get(username, '')):
        return deny(f'wrong user name or password for "{username}"')
    if mqtt_client_mismatch(event, username):
        return deny('the MQTT client id is not the user name')
    return allow(username)
`;
}

export function pythonJwtBearer(v: TemplateValues): string {
  return `"""AWS IoT Core custom authorizer "${v.name}": bearer JWTs (RS256).

Signing is disabled, so AWS IoT calls this function for every connection attempt: the JWT's
own signature is the proof, verified here with the issuer's public key. Devices send the JWT
in the "${v.tokenKeyName}" header, query parameter or MQTT username parameter. Claims used:
"sub" (the device id, letters and digits), "exp", and "nbf" when present.
RS256 is checked with the standard library only (no packages to ship with the function).
"""
import base64
import hashlib
import hmac
import json
import os
import re
import time

${common(v, true)}

# The JWT issuer's public key. Set JWT_PUBLIC_KEY on the function to use another one.
PUBLIC_KEY_PEM = os.environ.get('JWT_PUBLIC_KEY') or '''${v.jwtPublicKeyPem.trim()}'''

# DER prefix of the SHA-256 DigestInfo (RFC 8017, section 9.2, note 1).
SHA256_DIGEST_INFO = bytes.fromhex('3031300d060960864801650304020105000420')


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + '=' * (-len(text) % 4))


def der_element(data, i):
    """The contents of the DER element at index i, and the index after it."""
    length = data[i + 1]
    i += 2
    if length & 0x80:
        size = length & 0x7F
        length = int.from_bytes(data[i:i + size], 'big')
        i += size
    return data[i:i + length], i + length


def rsa_public_numbers(pem):
    """(n, e) of an RSA public key in SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY")."""
    der = base64.b64decode(''.join(line for line in pem.strip().splitlines() if not line.startswith('-----')))
    spki, _ = der_element(der, 0)
    _, i = der_element(spki, 0)  # AlgorithmIdentifier
    bit_string, _ = der_element(spki, i)
    rsa_key, _ = der_element(bit_string, 1)  # after the unused-bits byte
    n, i = der_element(rsa_key, 0)
    e, _ = der_element(rsa_key, i)
    return int.from_bytes(n, 'big'), int.from_bytes(e, 'big')


N, E = rsa_public_numbers(PUBLIC_KEY_PEM)


def rs256_valid(message, signature):
    """RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017, 8.2.2): rebuild the expected encoding, compare."""
    k = (N.bit_length() + 7) // 8
    if len(signature) != k:
        return False
    s = int.from_bytes(signature, 'big')
    if s >= N:
        return False
    t = SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    expected = bytes([0, 1]) + bytes([0xFF]) * (k - len(t) - 3) + bytes([0]) + t
    return hmac.compare_digest(pow(s, E, N).to_bytes(k, 'big'), expected)


def verified_claims(jwt):
    """The claims of a JWT whose RS256 signature verifies, else None."""
    parts = jwt.split('.')
    if len(parts) != 3:
        return None
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
        signed = (parts[0] + '.' + parts[1]).encode('ascii')
    except ValueError:
        return None
    if not isinstance(header, dict) or header.get('alg') != 'RS256' or not isinstance(claims, dict):
        return None
    return claims if rs256_valid(signed, signature) else None


def lambda_handler(event, context):
    token = event.get('token') or ''
    if token.startswith('Bearer '):
        token = token[len('Bearer '):]
    claims = verified_claims(token)
    if claims is None:
        return deny('the token is not an RS256 JWT signed by the issuer')
    now = time.time()
    exp = claims.get('exp')
    if not isinstance(exp, (int, float)) or exp <= now:
        return deny('the JWT has expired or has no "exp"')
    nbf = claims.get('nbf')
    if isinstance(nbf, (int, float)) and nbf > now:
        return deny('the JWT is not valid yet ("nbf")')
    device_id = claims.get('sub')
    if not isinstance(device_id, str) or not DEVICE_ID.fullmatch(device_id):
        return deny('"sub" is not a device id (letters and digits)')
    if mqtt_client_mismatch(event, device_id):
        return deny('the MQTT client id is not the JWT subject')
    return allow(device_id)
`;
}
