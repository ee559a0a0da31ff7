# Switchboard UI — magyar.

## Shared
action-save = Mentés
action-cancel = Mégse
action-create = Létrehozás
action-edit = Szerkesztés
action-delete = Törlés
action-add = Hozzáadás
action-apply = Alkalmaz
action-clear = Törlés
action-back = Vissza
page-prev = Előző
page-next = Következő
page-of = { $page }. oldal
count-contacts = { $count ->
    [one] { $count } kapcsolat
   *[other] { $count } kapcsolat
}

## Languages
lang-switch = Nyelv
lang-en = English
lang-es = Español
lang-pt = Português
lang-hu = Magyar

## Navigation and header
nav-skip = Ugrás a tartalomra
nav-menu = Menü
nav-label = Részek
nav-dashboard = Áttekintés
nav-leads = Értékesítések
nav-contacts = Kapcsolatok
nav-companies = Cégek
nav-tasks = Feladatok
nav-incoming = Bejövő érdeklődések
nav-settings = Beállítások
nav-users = Felhasználók és jogok
nav-pipelines = Értékesítési folyamatok
nav-fields = Egyéni mezők
nav-sign-out = Kijelentkezés
search-label = Kapcsolatok, cégek és értékesítések keresése
search-placeholder = Név, e-mail vagy telefonszám
search-button = Keresés

## Sign-in
login-title = Bejelentkezés
login-email = E-mail-cím
login-password = Jelszó
login-submit = Belépés
login-wrong = Hibás e-mail-cím vagy jelszó.
login-expired = A bejelentkezési űrlap lejárt. Próbálja újra.
login-throttled = { $minutes ->
    [one] Túl sok sikertelen próbálkozás. Próbálja újra egy perc múlva.
   *[other] Túl sok sikertelen próbálkozás. Próbálja újra { $minutes } perc múlva.
}

## Dashboard
dashboard-title = Ma
dashboard-welcome = Üdvözli a Switchboard.

## Profile
profile-title = Saját profil
profile-language = Nyelv
profile-password = Jelszó
profile-current-password = Jelenlegi jelszó
profile-new-password = Új jelszó (legalább 8 karakter)
profile-confirm-password = Az új jelszó még egyszer
profile-change-password = Jelszó módosítása
profile-password-mismatch = A két új jelszó nem egyezik.
profile-password-saved = A jelszava megváltozott. A többi munkamenetét kiléptettük.

## Errors
error-back-home = Vissza az áttekintéshez
error-not-found-title = Nem található
error-not-found = Ez a rekord nem létezik, vagy nincs hozzá hozzáférése.
error-no-page = Ezen a címen nincs oldal.
error-forbidden-title = Nem engedélyezett
error-forbidden = A jogosultságai ezt nem engedik. Egy adminisztrátor módosíthatja őket.
error-invalid-title = Ellenőrizze az adatokat
error-conflict-title = Időközben módosult
error-conflict = Valaki ugyanekkor módosította. Töltse újra az oldalt, és próbálja újra.
error-upstream-title = A telefonszolgáltatás elutasította
error-internal-title = Hiba történt
error-internal = Hiba történt nálunk. Próbálja újra; ha ismétlődik, az adminisztrátor a szervernaplóban találja a részleteket.
error-csrf-title = Kérés elutasítva
error-csrf = Ez az űrlap elavult, vagy másik webhelyről érkezett. Töltse újra az oldalt, és próbálja újra.
error-too-large-title = Túl nagy
error-too-large = Az elküldött adat nagyobb, mint amit a szerver elfogad. Rövidítse a szöveget, vagy küldjön egyszerre kevesebbet.
error-uri-too-long-title = Túl hosszú cím
error-uri-too-long = Ez a cím hosszabb, mint amit a szerver elfogad. Rövidítse a keresést vagy a szűrőket.
error-RequiredFilled = Ez a mező kötelező.
error-InvalidType = Ennek az értéknek rossz a típusa.
error-NotSupportedChoice = Válasszon a felkínált értékek közül.
error-InvalidValue = Ez az érték érvénytelen.
error-InvalidLength = Ez az érték túl hosszú vagy túl rövid.
error-InvalidEmail = Adjon meg érvényes e-mail-címet.
error-NotFound = Ez a rekord nem létezik.
error-WrongPassword = A jelenlegi jelszó hibás.
error-TooShort = Legalább 8 karaktert használjon.
error-NotEditable = Ez itt nem módosítható.
