# Switchboard UI — español.

## Shared
action-save = Guardar
action-cancel = Cancelar
action-create = Crear
action-edit = Editar
action-delete = Eliminar
action-add = Añadir
action-apply = Aplicar
action-clear = Limpiar
action-back = Volver
page-prev = Anterior
page-next = Siguiente
page-of = Página { $page }
count-contacts = { $count ->
    [one] { $count } contacto
   *[other] { $count } contactos
}

## Languages
lang-switch = Idioma
lang-en = English
lang-es = Español
lang-pt = Português
lang-hu = Magyar

## Navigation and header
nav-skip = Ir al contenido
nav-menu = Menú
nav-label = Secciones
nav-dashboard = Inicio
nav-leads = Oportunidades
nav-contacts = Contactos
nav-companies = Empresas
nav-tasks = Tareas
nav-incoming = Solicitudes entrantes
nav-settings = Ajustes
nav-users = Usuarios y permisos
nav-pipelines = Embudos
nav-fields = Campos personalizados
nav-sign-out = Cerrar sesión
search-label = Buscar contactos, empresas y oportunidades
search-placeholder = Nombre, correo o teléfono
search-button = Buscar

## Sign-in
login-title = Iniciar sesión
login-email = Correo electrónico
login-password = Contraseña
login-submit = Entrar
login-wrong = Correo o contraseña incorrectos.
login-expired = El formulario había caducado. Inténtalo de nuevo.
login-throttled = { $minutes ->
    [one] Demasiados intentos fallidos. Vuelve a intentarlo en un minuto.
   *[other] Demasiados intentos fallidos. Vuelve a intentarlo en { $minutes } minutos.
}

## Dashboard
dashboard-title = Hoy
dashboard-welcome = Bienvenido a Switchboard.

## Profile
profile-title = Mi perfil
profile-language = Idioma
profile-password = Contraseña
profile-current-password = Contraseña actual
profile-new-password = Nueva contraseña (al menos 8 caracteres)
profile-confirm-password = Repite la nueva contraseña
profile-change-password = Cambiar contraseña
profile-password-mismatch = Las dos contraseñas nuevas no coinciden.
profile-password-saved = Tu contraseña se ha cambiado. Se cerraron tus otras sesiones.

## Errors
error-back-home = Volver al inicio
error-not-found-title = No encontrado
error-not-found = Este registro no existe o no tienes acceso a él.
error-no-page = No hay ninguna página en esta dirección.
error-forbidden-title = No permitido
error-forbidden = Tus permisos no lo permiten. Un administrador puede cambiarlos.
error-invalid-title = Revisa los datos
error-conflict-title = Cambiado mientras tanto
error-conflict = Alguien lo cambió al mismo tiempo. Recarga la página e inténtalo de nuevo.
error-upstream-title = El servicio de telefonía lo rechazó
error-internal-title = Algo salió mal
error-internal = Algo salió mal por nuestra parte. Inténtalo de nuevo; si persiste, el administrador encontrará los detalles en el registro del servidor.
error-csrf-title = Solicitud rechazada
error-csrf = Este formulario está caducado o viene de otro sitio. Recarga la página e inténtalo de nuevo.
error-too-large-title = Demasiado grande
error-too-large = Lo enviado supera el tamaño que acepta el servidor. Acorte el texto o envíe menos cada vez.
error-uri-too-long-title = Dirección demasiado larga
error-uri-too-long = Esta dirección es más larga de lo que acepta el servidor. Acorte la búsqueda o los filtros.
error-RequiredFilled = Este campo es obligatorio.
error-InvalidType = Este valor tiene un tipo incorrecto.
error-NotSupportedChoice = Elige uno de los valores ofrecidos.
error-InvalidValue = Este valor no es válido.
error-InvalidLength = Este valor es demasiado largo o demasiado corto.
error-InvalidEmail = Introduce un correo electrónico válido.
error-NotFound = Este registro no existe.
error-WrongPassword = La contraseña actual es incorrecta.
error-TooShort = Usa al menos 8 caracteres.
error-NotEditable = Esto no se puede cambiar aquí.
