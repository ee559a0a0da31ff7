# Telefonálás a böngészőben: hívásértesítők, tárcsázó, hívásgombok, a hívás eredménye
# és az élő tábla.

nav-live = Élő tábla

## Tárcsázó és hívásgombok
calls-dialer = Tárcsázás
calls-dialer-number = Hívandó szám
calls-dialer-keypad = Billentyűzet
calls-dialer-call = Hívás
calls-call = Hívás
calls-call-label = { $phone } hívása
calls-blacklist = Tiltólista
calls-blacklist-label = { $phone } tiltólistára tétele
calls-blacklist-confirm = Mostantól minden hívást elutasítsunk erről a számról?
calls-dialing = Először az Ön telefonja csörög: vegye fel, és hívjuk: { $phone }.
calls-dialing-ext = ({ $extension } mellék)
calls-blacklisted = { $phone } tiltólistán van: hívásait mostantól elutasítjuk.
calls-already-blacklisted = { $phone } már tiltólistán volt.
calls-blacklisted-by = Tiltólistára tette a kártyáról: { $name }

## Miért nem indult a hívás
calls-error-title = A hívás nem indult el
calls-error-no_integration = Még nincs beállítva telefonközpont. Egy adminisztrátor a Beállítások → Telefonálás oldalon csatlakoztatja.
calls-error-no_extension = Még nincs mellékállomása. Egy adminisztrátor a Beállítások → Telefonálás oldalon rendel Önhöz egyet.
calls-error-bad_number = Ez a szám nem tárcsázható. Ellenőrizze, és próbálja újra.
calls-error-no_money = A telefonközpont egyenlege elfogyott. Egy adminisztrátor feltölti a szolgáltatónál.
calls-error-wrong_number = A telefonközpont elutasította ezt a számot. Ellenőrizze (az országkóddal együtt), és próbálja újra.
calls-error-pbx_unreachable = A telefonközpont most nem érhető el. Próbálja újra egy perc múlva; ha nem múlik el, egy adminisztrátor ellenőrzi a telefonálási beállításokat.
calls-error-settings_unreadable = A telefonálási beállítások megsérültek. Egy adminisztrátor újra elmenti őket (a kulccsal és a titokkal) a Beállítások → Telefonálás oldalon.
calls-error-other = A telefonközpont elutasította a hívást: { $message }

## Az értesítő
calls-incoming = Bejövő hívás
calls-outgoing = Kimenő hívás
calls-talking = Beszélgetés folyik
calls-ended = A hívás véget ért
calls-missed = Nem fogadott hívás
calls-close = Bezárás
calls-unknown-number = Ismeretlen szám
calls-responsible = Felelős
calls-our-number = Hívott szám
calls-create-contact = Kapcsolat létrehozása
calls-call-back = Visszahívás

## A hívás eredménye
calls-result-label = A hívás eredménye
calls-result-lead = Értékesítéshez kapcsolás
calls-result-lead-none = Ne kapcsolja
calls-result-lead-new = Új értékesítés létrehozása
calls-result-lead-name = Az új értékesítés neve
calls-result-card = Kártya:
calls-result-save = Eredmény mentése
calls-result-saved = Elmentve a hívás jegyzetébe.
calls-feed-result = Eredmény:
error-NoCard = A hívásnak még nincs kapcsolata: először hozza létre a kapcsolatot.

## Élő tábla
calls-board-title = Élő tábla
calls-board-hint = Ki telefonál éppen. Magától frissül.
calls-board-empty = Nincs megjeleníthető munkatárs.
calls-board-manager = Munkatárs
calls-board-state = Állapot
calls-board-with = Kivel
calls-board-for = Mióta
calls-board-missed = Ma nem fogadott
calls-board-ext = { $extension } mellék
calls-board-free = Szabad
calls-board-ringing = Csörög
calls-board-talking = Telefonál
