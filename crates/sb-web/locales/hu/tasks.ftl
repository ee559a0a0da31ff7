# Feladatok: a lista, az új feladat űrlapja, lezárás eredménnyel, a kártya feladatai.
tasks-title = Feladatok
tasks-new = Új feladat
tasks-text = Teendő
tasks-type = Típus
tasks-type-follow-up = Utánkövetés
tasks-type-meeting = Találkozó
tasks-responsible = Felelős
tasks-deadline = Határidő
tasks-about = Kapcsolódik
tasks-about-lead = Üzlet
tasks-about-contact = Kapcsolat
tasks-about-company = Cég
tasks-create = Feladat létrehozása
tasks-filters = Feladatok szűrése
tasks-filter-mine = Saját feladataim
tasks-filter-everyone = Mindenki
tasks-filter-status = Megjelenítés
tasks-status-open = Nyitott
tasks-status-done = Lezárt
tasks-overdue = Lejárt
tasks-today = Ma
tasks-later = Később
tasks-count = { $count ->
    [one] { $count } feladat
   *[other] { $count } feladat
}
tasks-result = Eredmény
tasks-result-of = „{ $task }” eredménye
tasks-result-placeholder = Eredmény (jegyzet lesz)
tasks-complete = Lezárás
tasks-done = Kész
tasks-empty-open = Nincs nyitott feladat. Hozzon létre egyet az űrlappal vagy egy kártyáról.
tasks-empty-group = Itt nincs semmi.
tasks-empty-done = Még nincs lezárt feladat. Zárjon le egyet a nyitottak közül.
tasks-pages = Feladatoldalak
tasks-card-title = Feladatok
tasks-card-empty = Ennek a kártyának nincs nyitott feladata. Adjon hozzá egyet lent.
tasks-card-none = Ennek a kártyának nincs nyitott feladata.
