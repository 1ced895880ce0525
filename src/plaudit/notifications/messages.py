"""The words of notification emails, per language (English is the fallback)."""

from __future__ import annotations

EN = {
    "credential.issued.subject": "You earned {credential}",
    "credential.issued.intro": "{issuer} has awarded you {credential}.",
    "credential.issued.action": "View your credential",
    "credential.issued.certificate": "Your certificate is attached as a PDF.",
    "credential.issued.expires": "It is valid until {date}.",
    "credential.expiring.subject": "{credential} expires in {days} days",
    "credential.expiring.intro": "Your credential {credential} from {issuer} expires on {date}.",
    "credential.expiring.action": "View your credential",
    "credential.expired.subject": "{credential} has expired",
    "credential.expired.intro": "Your credential {credential} from {issuer} expired on {date}.",
    "credential.expired.action": "View your credential",
    "credential.suspended.subject": "{credential} is suspended",
    "credential.suspended.intro": "{issuer} has suspended your credential {credential}.",
    "credential.suspended.action": "View your credential",
    "credential.revoked.subject": "{credential} was revoked",
    "credential.revoked.intro": "{issuer} has revoked your credential {credential}.",
    "credential.revoked.action": "View your credential",
    "reason": "Reason: {reason}",
    "greeting": "Hello {name},",
    "greeting_anonymous": "Hello,",
    "wallet": "All your credentials: {url}",
    "wallet_label": "All your credentials",
    "unsubscribe": "Stop these emails",
    "copy": "Copy of the message sent to {to}.",
    "test.subject": "Plaudit test email",
    "test.intro": "This test email from {issuer} arrived: your email settings work.",
    "admin.digest.subject": "{issuer}: credentials on {date}",
    "admin.digest.intro": "What happened to {issuer}'s credentials on {date} (UTC):",
    "webhook.disabled.subject": "A webhook endpoint of {issuer} was disabled",
    "webhook.disabled.intro": "Plaudit stopped sending webhooks to an endpoint of {issuer}.",
    "account.password_reset.subject": "Choose a new Plaudit password",
    "account.password_reset.intro": (
        "Someone asked to reset the password of your Plaudit account. If it was you, choose a "
        "new one with the link below (it works once, until {date}). If not, ignore this email."
    ),
    "account.password_reset.action": "Choose a new password",
    "account.invitation.subject": "You are invited to {issuer} on Plaudit",
    "account.invitation.intro": (
        "You are invited to run the badge program of {issuer} on Plaudit. The invitation "
        "works until {date}."
    ),
    "account.invitation.action": "Accept the invitation",
}

FR = {
    "credential.issued.subject": "Vous avez obtenu {credential}",
    "credential.issued.intro": "{issuer} vous a décerné {credential}.",
    "credential.issued.action": "Voir votre certification",
    "credential.issued.certificate": "Votre certificat est joint en PDF.",
    "credential.issued.expires": "Elle est valable jusqu'au {date}.",
    "credential.expiring.subject": "{credential} expire dans {days} jours",
    "credential.expiring.intro": "Votre certification {credential} de {issuer} expire le {date}.",
    "credential.expiring.action": "Voir votre certification",
    "credential.expired.subject": "{credential} a expiré",
    "credential.expired.intro": "Votre certification {credential} de {issuer} a expiré le {date}.",
    "credential.expired.action": "Voir votre certification",
    "credential.suspended.subject": "{credential} est suspendue",
    "credential.suspended.intro": "{issuer} a suspendu votre certification {credential}.",
    "credential.suspended.action": "Voir votre certification",
    "credential.revoked.subject": "{credential} a été révoquée",
    "credential.revoked.intro": "{issuer} a révoqué votre certification {credential}.",
    "credential.revoked.action": "Voir votre certification",
    "reason": "Motif : {reason}",
    "greeting": "Bonjour {name},",
    "greeting_anonymous": "Bonjour,",
    "wallet": "Toutes vos certifications : {url}",
    "wallet_label": "Toutes vos certifications",
    "unsubscribe": "Ne plus recevoir ces emails",
    "copy": "Copie du message envoyé à {to}.",
}

DE = {
    "credential.issued.subject": "Sie haben {credential} erhalten",
    "credential.issued.intro": "{issuer} hat Ihnen {credential} verliehen.",
    "credential.issued.action": "Nachweis ansehen",
    "credential.issued.certificate": "Ihr Zertifikat ist als PDF angehängt.",
    "credential.issued.expires": "Er ist bis zum {date} gültig.",
    "credential.expiring.subject": "{credential} läuft in {days} Tagen ab",
    "credential.expiring.intro": "Ihr Nachweis {credential} von {issuer} läuft am {date} ab.",
    "credential.expiring.action": "Nachweis ansehen",
    "credential.expired.subject": "{credential} ist abgelaufen",
    "credential.expired.intro": "Ihr Nachweis {credential} von {issuer} ist am {date} abgelaufen.",
    "credential.expired.action": "Nachweis ansehen",
    "credential.suspended.subject": "{credential} ist ausgesetzt",
    "credential.suspended.intro": "{issuer} hat Ihren Nachweis {credential} ausgesetzt.",
    "credential.suspended.action": "Nachweis ansehen",
    "credential.revoked.subject": "{credential} wurde widerrufen",
    "credential.revoked.intro": "{issuer} hat Ihren Nachweis {credential} widerrufen.",
    "credential.revoked.action": "Nachweis ansehen",
    "reason": "Grund: {reason}",
    "greeting": "Hallo {name},",
    "greeting_anonymous": "Hallo,",
    "wallet": "Alle Ihre Nachweise: {url}",
    "wallet_label": "Alle Ihre Nachweise",
    "unsubscribe": "Diese E-Mails abbestellen",
    "copy": "Kopie der Nachricht an {to}.",
}

ES = {
    "credential.issued.subject": "Has obtenido {credential}",
    "credential.issued.intro": "{issuer} te ha otorgado {credential}.",
    "credential.issued.action": "Ver tu credencial",
    "credential.issued.certificate": "Tu certificado va adjunto en PDF.",
    "credential.issued.expires": "Es válida hasta el {date}.",
    "credential.expiring.subject": "{credential} caduca en {days} días",
    "credential.expiring.intro": "Tu credencial {credential} de {issuer} caduca el {date}.",
    "credential.expiring.action": "Ver tu credencial",
    "credential.expired.subject": "{credential} ha caducado",
    "credential.expired.intro": "Tu credencial {credential} de {issuer} caducó el {date}.",
    "credential.expired.action": "Ver tu credencial",
    "credential.suspended.subject": "{credential} está suspendida",
    "credential.suspended.intro": "{issuer} ha suspendido tu credencial {credential}.",
    "credential.suspended.action": "Ver tu credencial",
    "credential.revoked.subject": "{credential} ha sido revocada",
    "credential.revoked.intro": "{issuer} ha revocado tu credencial {credential}.",
    "credential.revoked.action": "Ver tu credencial",
    "reason": "Motivo: {reason}",
    "greeting": "Hola {name}:",
    "greeting_anonymous": "Hola:",
    "wallet": "Todas tus credenciales: {url}",
    "wallet_label": "Todas tus credenciales",
    "unsubscribe": "Dejar de recibir estos correos",
    "copy": "Copia del mensaje enviado a {to}.",
}

_ALL = {"en": EN, "fr": FR, "de": DE, "es": ES}


def words(lang: str) -> dict[str, str]:
    """The email words in ``lang`` (its primary subtag), English where one is missing."""
    chosen = _ALL.get(lang.split("-")[0].lower(), EN)
    return {**EN, **chosen}
