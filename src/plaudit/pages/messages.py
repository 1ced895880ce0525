"""The page's own words in a few languages; a template's text comes from its translations."""

from __future__ import annotations

from typing import Final

from plaudit.templates.localize import best_language

EN: Final = {
    "skip": "Skip to the credential",
    "valid": "Valid credential",
    "valid_detail": "Issued by {issuer} and verified just now.",
    "expired": "Expired",
    "expired_detail": "This credential expired on {date}.",
    "suspended": "Suspended",
    "suspended_detail": "The issuer has suspended this credential.",
    "revoked": "Revoked",
    "revoked_detail": "The issuer revoked this credential.",
    "reason": "Reason",
    "pending": "Being signed",
    "pending_detail": "This credential is being signed; reload the page in a moment.",
    "invalid": "Does not verify",
    "invalid_detail": "The signed credential failed verification; see the checks below.",
    "awarded_to": "Awarded to",
    "issued_by": "Issued by",
    "issued_on": "Issued on",
    "expires_on": "Expires on",
    "expired_on": "Expired on",
    "criteria": "Criteria",
    "skills": "Skills and alignments",
    "evidence": "Evidence",
    "details": "Details",
    "checks": "Verification checks",
    "checks_summary": "How this was verified ({count} checks)",
    "downloads": "Download",
    "share": "Share",
    "linkedin_add": "Add to LinkedIn profile",
    "linkedin_share": "Share on LinkedIn",
    "json_view": "View as JSON",
    "credential_json": "Credential (JSON-LD)",
    "credential_jwt": "Credential (VC-JWT)",
    "badge_png": "Badge image with credential (PNG)",
    "badge_svg": "Badge image with credential (SVG)",
    "badge_png_ob2": "Badge for Open Badges 2.0 backpacks (PNG)",
    "certificate_pdf": "Certificate (PDF)",
    "language": "Language",
    "private_title": "This credential is private",
    "private_detail": "Its owner has chosen not to show it publicly. A copy of the credential "
    "itself still verifies.",
    "not_found": "There is no credential at this address.",
    "wallet": "My credentials",
    "unsubscribe_title": "Stop emails about your credentials?",
    "unsubscribe_detail": (
        "You will no longer receive emails about credentials from this issuer. "
        "Your credentials stay valid."
    ),
    "unsubscribe_button": "Stop these emails",
    "unsubscribed_title": "Done: you will receive no more of these emails.",
    "unsubscribe_invalid": "This unsubscribe link is not valid.",
    "wallet_intro": "Everything {name} has earned. Keep this link to yourself: "
    "it opens your wallet.",
    "times": "earned {count} times",
    "make_private": "Make private",
    "make_public": "Make public",
    "is_private": "Private",
    "public_page": "Public page",
    "powered": "Verifiable credential issued with Plaudit (Open Badges 3.0)",
    "certificate.awarded": "has successfully completed",
    "certificate.issued_by": "Issued by",
    "certificate.issued_on": "Issued on",
    "certificate.expires_on": "Valid until",
    "certificate.verify_at": "Verify this certificate at",
}

_CATALOGS: Final[dict[str, dict[str, str]]] = {
    "en": EN,
    "fr": {
        "skip": "Aller au certificat",
        "valid": "Certificat valide",
        "valid_detail": "Délivré par {issuer} et vérifié à l'instant.",
        "expired": "Expiré",
        "expired_detail": "Ce certificat a expiré le {date}.",
        "suspended": "Suspendu",
        "suspended_detail": "L'émetteur a suspendu ce certificat.",
        "revoked": "Révoqué",
        "revoked_detail": "L'émetteur a révoqué ce certificat.",
        "reason": "Motif",
        "awarded_to": "Décerné à",
        "issued_by": "Délivré par",
        "issued_on": "Délivré le",
        "expires_on": "Expire le",
        "expired_on": "Expiré le",
        "criteria": "Critères",
        "skills": "Compétences",
        "evidence": "Preuves",
        "checks": "Vérifications",
        "checks_summary": "Comment il a été vérifié ({count} contrôles)",
        "downloads": "Télécharger",
        "share": "Partager",
        "linkedin_add": "Ajouter au profil LinkedIn",
        "linkedin_share": "Partager sur LinkedIn",
        "json_view": "Voir en JSON",
        "language": "Langue",
        "private_title": "Ce certificat est privé",
        "wallet": "Mes certificats",
        "unsubscribe_title": "Ne plus recevoir d'emails sur vos certifications ?",
        "unsubscribe_detail": (
            "Vous ne recevrez plus d'emails de cet émetteur sur vos certifications. "
            "Elles restent valides."
        ),
        "unsubscribe_button": "Ne plus recevoir ces emails",
        "unsubscribed_title": "C'est fait : vous ne recevrez plus ces emails.",
        "unsubscribe_invalid": "Ce lien de désinscription n'est pas valide.",
        "certificate.awarded": "a réussi",
        "certificate.issued_by": "Délivré par",
        "certificate.issued_on": "Délivré le",
        "certificate.expires_on": "Valable jusqu'au",
        "certificate.verify_at": "Vérifier ce certificat sur",
    },
    "de": {
        "skip": "Zum Nachweis springen",
        "valid": "Gültiger Nachweis",
        "valid_detail": "Ausgestellt von {issuer} und soeben geprüft.",
        "expired": "Abgelaufen",
        "expired_detail": "Dieser Nachweis ist am {date} abgelaufen.",
        "suspended": "Ausgesetzt",
        "revoked": "Widerrufen",
        "revoked_detail": "Der Aussteller hat diesen Nachweis widerrufen.",
        "reason": "Grund",
        "awarded_to": "Verliehen an",
        "issued_by": "Ausgestellt von",
        "issued_on": "Ausgestellt am",
        "expires_on": "Gültig bis",
        "criteria": "Kriterien",
        "skills": "Kompetenzen",
        "downloads": "Herunterladen",
        "share": "Teilen",
        "linkedin_add": "Zum LinkedIn-Profil hinzufügen",
        "language": "Sprache",
        "wallet": "Meine Nachweise",
        "unsubscribe_title": "Keine E-Mails mehr zu Ihren Nachweisen?",
        "unsubscribe_detail": (
            "Sie erhalten von diesem Aussteller keine E-Mails mehr zu Nachweisen. "
            "Ihre Nachweise bleiben gültig."
        ),
        "unsubscribe_button": "Diese E-Mails abbestellen",
        "unsubscribed_title": "Erledigt: Sie erhalten diese E-Mails nicht mehr.",
        "unsubscribe_invalid": "Dieser Abmeldelink ist ungültig.",
        "certificate.awarded": "hat erfolgreich abgeschlossen",
        "certificate.issued_by": "Ausgestellt von",
        "certificate.issued_on": "Ausgestellt am",
        "certificate.expires_on": "Gültig bis",
        "certificate.verify_at": "Dieses Zertifikat prüfen unter",
    },
    "es": {
        "skip": "Ir a la credencial",
        "valid": "Credencial válida",
        "valid_detail": "Emitida por {issuer} y verificada ahora mismo.",
        "expired": "Caducada",
        "suspended": "Suspendida",
        "revoked": "Revocada",
        "revoked_detail": "El emisor revocó esta credencial.",
        "reason": "Motivo",
        "awarded_to": "Otorgada a",
        "issued_by": "Emitida por",
        "issued_on": "Emitida el",
        "expires_on": "Caduca el",
        "criteria": "Criterios",
        "skills": "Competencias",
        "downloads": "Descargar",
        "share": "Compartir",
        "linkedin_add": "Añadir al perfil de LinkedIn",
        "language": "Idioma",
        "wallet": "Mis credenciales",
        "unsubscribe_title": "¿Dejar de recibir correos sobre tus credenciales?",
        "unsubscribe_detail": (
            "Ya no recibirás correos de este emisor sobre credenciales. "
            "Tus credenciales siguen siendo válidas."
        ),
        "unsubscribe_button": "Dejar de recibir estos correos",
        "unsubscribed_title": "Hecho: ya no recibirás estos correos.",
        "unsubscribe_invalid": "Este enlace para darse de baja no es válido.",
        "certificate.awarded": "ha completado con éxito",
        "certificate.issued_by": "Emitido por",
        "certificate.issued_on": "Emitido el",
        "certificate.expires_on": "Válido hasta",
        "certificate.verify_at": "Verifique este certificado en",
    },
}

RTL_LANGUAGES: Final = frozenset({"ar", "fa", "he", "ur", "yi", "ps", "sd", "ug"})


def messages(lang: str) -> dict[str, str]:
    """The page's words in `lang` where we have them, English otherwise (per message)."""
    chosen = best_language([lang], _CATALOGS, "en")
    return {**EN, **_CATALOGS[chosen]}


def direction(lang: str) -> str:
    return "rtl" if lang.split("-")[0].lower() in RTL_LANGUAGES else "ltr"
