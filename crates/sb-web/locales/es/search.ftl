# La página de búsqueda global (ui/search.rs); los textos de la caja de la cabecera están en main.ftl.
search-title = Búsqueda
search-start = Escribe un nombre, un correo o un número de teléfono en la caja de búsqueda de arriba.
search-nothing = No se encontró nada para «{ $query }».
search-hint = Los teléfonos se encuentran en cualquier formato: con o sin prefijo del país, espacios o guiones.
search-found = { $count ->
    [one] { $count } resultado
   *[other] { $count } resultados
}
search-contacts = Contactos
search-companies = Empresas
search-leads = Oportunidades
search-more = Ver todos en la lista
